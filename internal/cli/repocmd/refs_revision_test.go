package repocmd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli/clitest"
)

// refs -r and remote refs -r (libostree 2025.2; expected outputs are the
// reference's for the same repository shape).
func TestRefsRevision(t *testing.T) {
	dir := t.TempDir()
	repoPath := filepath.Join(dir, "repo")
	repoArg := "--repo=" + repoPath
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "a"), []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	must := func(args ...string) string {
		t.Helper()
		out, errs, code := clitest.RunOurs(t, nil, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		return out
	}
	must("init", repoArg, "--mode=archive")
	a := strings.TrimSpace(must("commit", repoArg, "-b", "foo/a", "--tree=dir="+tree))
	b := strings.TrimSpace(must("commit", repoArg, "-b", "foo/b", "-s", "x", "--tree=dir="+tree))
	must("refs", repoArg, "--create=al", "--alias", "foo/a")
	must("remote", repoArg, "add", "--no-sign-verify", "o", "file://"+repoPath)
	must("refs", repoArg, "--create=o:rr", "foo/a")

	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-r"}, "al\t" + a + "\nfoo/a\t" + a + "\nfoo/b\t" + b + "\no:rr\t" + a + "\n"},
		{[]string{"--revision", "foo"}, "a\t" + a + "\nb\t" + b + "\n"},
		{[]string{"--list", "-r", "foo"}, "foo/a\t" + a + "\nfoo/b\t" + b + "\n"},
		// Aliases list their target, not a revision.
		{[]string{"-r", "-A"}, "al -> foo/a\n"},
		{[]string{"-r", "o:"}, "o:rr\t" + a + "\n"},
	}
	for _, tc := range tests {
		if got := must(append([]string{"refs", repoArg}, tc.args...)...); got != tc.want {
			t.Errorf("refs %v:\n%q\nwant\n%q", tc.args, got, tc.want)
		}
	}

	must("summary", repoArg, "-u")
	// The summary lists aliases as refs.
	want := "o:al\t" + a + "\no:foo/a\t" + a + "\no:foo/b\t" + b + "\n"
	if got := must("remote", repoArg, "refs", "o", "--revision"); got != want {
		t.Errorf("remote refs --revision:\n%q\nwant\n%q", got, want)
	}
	if got := must("remote", repoArg, "refs", "o"); got != "o:al\no:foo/a\no:foo/b\n" {
		t.Errorf("remote refs: %q", got)
	}
}

func TestRefsRevisionCollections(t *testing.T) {
	dir := t.TempDir()
	repoArg := "--repo=" + filepath.Join(dir, "repo")
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := clitest.RunOurs(t, nil, "init", repoArg, "--mode=archive", "--collection-id=org.example.X"); code != 0 {
		t.Fatal(errs)
	}
	out, errs, code := clitest.RunOurs(t, nil, "commit", repoArg, "-b", "foo/a", "--tree=dir="+tree)
	if code != 0 {
		t.Fatal(errs)
	}
	c := strings.TrimSpace(out)
	if got, _, _ := clitest.RunOurs(t, nil, "refs", repoArg, "-c", "-r"); got != "(org.example.X, foo/a)\t"+c+"\n" {
		t.Errorf("refs -c -r: %q", got)
	}
}
