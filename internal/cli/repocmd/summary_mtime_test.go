package repocmd_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/cli/clitest"
)

// A signed summary and its summary.sig share one modification time
// (libostree 2025.2's test-summary-update checks this).
func TestSummarySigSharesMtime(t *testing.T) {
	dir := t.TempDir()
	repoPath := filepath.Join(dir, "repo")
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"OSTREE_DUMMY_SIGN_ENABLED": "1"}
	for _, args := range [][]string{
		{"init", "--repo=" + repoPath, "--mode=archive"},
		{"commit", "--repo=" + repoPath, "-b", "m", "--tree=dir=" + tree},
		{"summary", "--repo=" + repoPath, "-u", "--sign-type=dummy", "--sign=k"},
	} {
		if _, errs, code := clitest.RunOurs(t, env, args...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}
	// Age the summary so that a sig written later could not match by
	// chance, then sign again.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(repoPath, "summary"), old, old); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := clitest.RunOurs(t, env, "summary", "--repo="+repoPath, "-u", "--sign-type=dummy", "--sign=k"); code != 0 {
		t.Fatal(errs)
	}
	s, err := os.Stat(filepath.Join(repoPath, "summary"))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := os.Stat(filepath.Join(repoPath, "summary.sig"))
	if err != nil {
		t.Fatal(err)
	}
	if !s.ModTime().Equal(sig.ModTime()) {
		t.Errorf("summary %v, summary.sig %v", s.ModTime(), sig.ModTime())
	}
}
