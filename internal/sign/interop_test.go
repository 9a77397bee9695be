package sign

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

// refOstree runs the reference ostree without OSTREE_GPG_HOME (unless
// given in env) and returns its combined output and whether it succeeded.
func refOstree(t *testing.T, env []string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(testutil.ReferenceOstree(t), args...)
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "OSTREE_GPG_HOME=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func mustRefOstree(t *testing.T, args ...string) string {
	t.Helper()
	out, ok := refOstree(t, nil, args...)
	if !ok {
		t.Fatalf("ostree %v failed:\n%s", args, out)
	}
	return out
}

// refRepoWithCommit has the reference make an archive repo with one
// commit on ref "t" and returns the repo path and the commit.
func refRepoWithCommit(t *testing.T) (string, object.Checksum) {
	t.Helper()
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(filepath.Join(tree, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "sub", "file"), []byte("content\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := filepath.Join(dir, "repo")
	mustRefOstree(t, "--repo="+r, "init", "--mode=archive")
	out := mustRefOstree(t, "--repo="+r, "commit", "-b", "t", "-s", "subject", "--tree=dir="+tree)
	c, err := object.ParseChecksum(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	return r, c
}

// TestInteropReferenceVerifiesOurs: commits and summaries we sign pass
// the reference's show and pull-local --gpg-verify(-summary).
func TestInteropReferenceVerifiesOurs(t *testing.T) {
	ctx := t.Context()
	home := copyGPGHome(t)
	src, c := refRepoWithCommit(t)
	r, err := repo.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	data, err := r.LoadMetadata(ctx, c, object.TypeCommit)
	if err != nil {
		t.Fatal(err)
	}
	h := &Home{Dir: home, GPG: "-"}
	var md object.Metadata
	for _, id := range []string{keyID1, keyFpr2} {
		if md, err = SignCommit(ctx, h, t.TempDir(), data, md, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.WriteDetachedMetadata(ctx, c, md); err != nil {
		t.Fatal(err)
	}
	out := mustRefOstree(t, "--repo="+src, "show", "--gpg-homedir="+home, "t")
	for _, want := range []string{"Found 2 signatures:", `Good signature from "Ostree Tester <test@test.com>"`, `Good signature from "Ostree Tester II <test2@test.com>"`} {
		if !strings.Contains(out, want) {
			t.Errorf("reference show lacks %q:\n%s", want, out)
		}
	}

	mustRefOstree(t, "--repo="+src, "summary", "-u")
	summ, err := os.ReadFile(filepath.Join(src, "summary"))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := SignSummary(ctx, h, summ, nil, []string{keyID1})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "summary.sig"), sig, 0o644); err != nil {
		t.Fatal(err)
	}

	dst := filepath.Join(t.TempDir(), "dst")
	mustRefOstree(t, "--repo="+dst, "init", "--mode=archive")
	mustRefOstree(t, "--repo="+dst, "remote", "add", "--gpg-import="+filepath.Join(home, "key1.asc"), "origin", src)
	mustRefOstree(t, "--repo="+dst, "pull-local", "--remote=origin", "--gpg-verify", "--gpg-verify-summary", src, "t")

	// And with a key the remote does not trust, the reference refuses.
	dst2 := filepath.Join(t.TempDir(), "dst2")
	mustRefOstree(t, "--repo="+dst2, "init", "--mode=archive")
	mustRefOstree(t, "--repo="+dst2, "remote", "add", "--gpg-import="+filepath.Join(home, "key3.asc"), "origin", src)
	if out, ok := refOstree(t, nil, "--repo="+dst2, "pull-local", "--remote=origin", "--gpg-verify", src, "t"); ok || !strings.Contains(out, "public key not found") {
		t.Errorf("reference accepted a commit signed by untrusted keys:\n%s", out)
	}
}

// TestInteropWeVerifyReference: signatures the reference makes (through
// gpgme and gpg) verify here, and its keyrings read here.
func TestInteropWeVerifyReference(t *testing.T) {
	testutil.RequiresTool(t, "gpg")
	ctx := t.Context()
	home := copyGPGHome(t)
	src, c := refRepoWithCommit(t)
	mustRefOstree(t, "--repo="+src, "gpg-sign", "--gpg-homedir="+home, "t", keyID1, keyID3)
	mustRefOstree(t, "--repo="+src, "summary", "-u", "--gpg-sign="+keyID2, "--gpg-homedir="+home)

	r, err := repo.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	data, err := r.LoadMetadata(ctx, c, object.TypeCommit)
	if err != nil {
		t.Fatal(err)
	}
	md, err := r.LoadDetachedMetadata(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	pub := testKeys(t, "gpghome/pubring.gpg")
	res, err := VerifyMetadata(ctx, pub, data, md, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Signatures) != 2 || res.CountValid() != 2 {
		t.Fatalf("reference signatures: %+v", res.Signatures)
	}
	for _, s := range res.Signatures {
		if s.HashAlgo != "SHA512" {
			t.Errorf("reference signed with %s; our signer assumes SHA512 for RSA", s.HashAlgo)
		}
	}
	res, err = VerifyMetadata(ctx, testKeys(t, "gpghome/key2.asc"), data, md, time.Now())
	if err != nil || res.RequireValid() == nil {
		t.Errorf("verified with the wrong key: %v", err)
	}

	summ, err := os.ReadFile(filepath.Join(src, "summary"))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := os.ReadFile(filepath.Join(src, "summary.sig"))
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySummary(ctx, pub, summ, sig, time.Now()); err != nil {
		t.Errorf("reference summary.sig: %v", err)
	}

	// Deleting a signature leaves the detached metadata the reference's
	// deletion leaves.
	out, ok := refOstree(t, []string{"OSTREE_GPG_HOME=" + filepath.Join(home, "trusted")}, "--repo="+src, "gpg-sign", "--delete", "t", keyID1)
	if !ok || !strings.Contains(out, "Signatures deleted: 1") {
		t.Fatalf("reference delete: %s", out)
	}
	refMD, err := r.LoadDetachedMetadata(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	ourMD, n, err := DeleteSignatures(ctx, pub, data, md, []string{keyID1}, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("our delete: %d, %v", n, err)
	}
	a, _ := object.MarshalMetadata(refMD)
	b, _ := object.MarshalMetadata(ourMD)
	if !bytes.Equal(a, b) {
		t.Error("detached metadata after deletion differs from the reference's")
	}
}

// TestGPGFallback signs with a key only gpg-agent holds (a GnuPG 2.1+
// home), through the gpg program.
func TestGPGFallback(t *testing.T) {
	gpg := testutil.RequiresTool(t, "gpg")
	home := filepath.Join(t.TempDir(), "gnupg")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killAgent(home) })
	gen := exec.Command(gpg, "--homedir", home, "--batch", "--passphrase", "", "--quick-gen-key", "Fallback Key <fb@example.com>", "ed25519", "sign", "never")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("gpg --quick-gen-key: %v\n%s", err, out)
	}
	h := &Home{Dir: home}
	data := []byte("data signed by gpg")
	sig, err := h.Sign(t.Context(), "fb@example.com", data)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := h.PublicKeys(t.Context())
	if err != nil || len(pub.Keys) != 1 {
		t.Fatalf("public keys of a keybox home: %v, %v", pub, err)
	}
	res, err := Verify(t.Context(), pub, data, sig, time.Now())
	if err != nil || res.CountValid() != 1 {
		t.Fatalf("verify: %v %+v", err, res)
	}
	if _, err := h.Sign(t.Context(), "DEADBEEFDEADBEEF", data); err == nil ||
		err.Error() != "No gpg key found with ID DEADBEEFDEADBEEF (homedir: "+home+")" {
		t.Errorf("unknown key through gpg: %v", err)
	}
}
