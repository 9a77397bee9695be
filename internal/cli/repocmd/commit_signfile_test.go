package repocmd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli/clitest"
)

// --sign-from-file signs with each key in the file, one a line, as if
// each were given with --sign (libostree 2025.2 has the option; its
// Debian build has no ed25519, so the dummy engine stands in here).
func TestCommitSignFromFile(t *testing.T) {
	dir := t.TempDir()
	repoArg := "--repo=" + filepath.Join(dir, "repo")
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "keys")
	if err := os.WriteFile(keys, []byte("aa\n\n  bb  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OSTREE_DUMMY_SIGN_ENABLED": "1"}
	if _, errs, code := clitest.RunOurs(t, env, "init", repoArg, "--mode=archive"); code != 0 {
		t.Fatal(errs)
	}
	if _, errs, code := clitest.RunOurs(t, env, "commit", repoArg, "-b", "m", "--tree=dir="+tree, "--sign-type=dummy", "--sign-from-file="+keys, "--sign=cc"); code != 0 {
		t.Fatal(errs)
	}
	out, errs, _ := clitest.RunOurs(t, env, "show", repoArg, "--print-detached-metadata-key=ostree.sign.dummy", "m")
	if want := "[[byte 0x63, 0x63], [0x61, 0x61], [0x62, 0x62]]\n"; out != want {
		t.Errorf("signatures %q (%s), want %q", out, errs, want)
	}
	_, errs, code := clitest.RunOurs(t, env, "commit", repoArg, "-b", "n", "--tree=dir="+tree, "--sign-type=dummy", "--sign-from-file="+filepath.Join(dir, "missing"))
	if code == 0 || !strings.Contains(errs, "Error opening file "+filepath.Join(dir, "missing")+": No such file or directory") {
		t.Errorf("missing key file: exit %d, %q", code, errs)
	}
	if _, _, ok := runOursRev(t, repoArg, "n"); ok {
		t.Error("a commit was made without its signature")
	}
}

func runOursRev(t *testing.T, repoArg, rev string) (string, string, bool) {
	out, errs, code := clitest.RunOurs(t, nil, "rev-parse", repoArg, rev)
	return out, errs, code == 0
}
