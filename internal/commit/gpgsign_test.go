package commit

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

// TestGPGSignInterop signs a commit with the test suite's key and has the
// reference verify it.
func TestGPGSignInterop(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	testutil.RequiresTool(t, "gpg")
	const suiteHome = "/usr/libexec/installed-tests/libostree/gpghome"
	if _, err := os.Stat(suiteHome); err != nil {
		testutil.Skip(t, "libostree test keys not installed: "+err.Error())
	}
	d := t.TempDir()
	home := filepath.Join(d, "gpghome")
	if out, err := exec.Command("cp", "-a", suiteHome, home).CombinedOutput(); err != nil {
		t.Fatalf("copy keys: %v\n%s", err, out)
	}
	os.Chmod(home, 0o700)
	defer exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
	ctx := context.Background()
	r := newRepo(t, repo.ModeArchive)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"f": "x"})
	o := commitOpts(TreeSource{"dir", src})
	o.GPGSign, o.GPGHomedir = []string{"7FCA23D8472CDAFA"}, home
	res, err := Run(ctx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	refOstree(t, ref, "remote", "add", "--repo="+r.Path(), "--gpg-import="+filepath.Join(home, "trusted/pubring.gpg"), "orig", "file:///nonexistent")
	out := refOstree(t, ref, "show", "--repo="+r.Path(), "--gpg-verify-remote=orig", res.Commit.String())
	if !strings.Contains(out, "Good signature") || !strings.Contains(out, "7FCA23D8472CDAFA") {
		t.Errorf("reference did not verify the signature:\n%s", out)
	}
	// A second key appends a signature.
	if err := GPGSign(ctx, r, res.Commit, []string{"D8228CFECA950D41"}, home); err != nil {
		t.Fatal(err)
	}
	out = refOstree(t, ref, "show", "--repo="+r.Path(), "--gpg-verify-remote=orig", res.Commit.String())
	if !strings.Contains(out, "Found 2 signatures") {
		t.Errorf("expected two signatures:\n%s", out)
	}
}

// TestDummySignInterop signs with the test suite's dummy signer; the
// reference verifies the signature.
func TestDummySignInterop(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	r := newRepo(t, repo.ModeArchive)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"f": "x"})
	o := commitOpts(TreeSource{"dir", src})
	o.Sign, o.SignType = []string{"dummysign"}, "dummy"
	if _, err := Run(ctx, r, o); err == nil || err.Error() != "dummy signature type is only for ostree testing" {
		t.Fatalf("dummy signing without the environment switch: %v", err)
	}
	o.Getenv = func(k string) string { return map[string]string{"OSTREE_DUMMY_SIGN_ENABLED": "1"}[k] }
	res, err := Run(ctx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ref, "sign", "--repo="+r.Path(), "--sign-type=dummy", "--verify", res.Commit.String(), "dummysign")
	cmd.Env = append(os.Environ(), "OSTREE_DUMMY_SIGN_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Signature verified") {
		t.Errorf("reference verify: %v\n%s", err, out)
	}
	o.SignType = "" // ed25519, which "dummysign" is no key of
	if _, err := Run(ctx, r, o); err == nil || err.Error() != "Incorrect ed25519 secret key" {
		t.Errorf("ed25519: %v", err)
	}
}
