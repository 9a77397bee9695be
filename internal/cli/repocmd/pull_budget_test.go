package repocmd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/membudget"
)

// TestPullVerboseBudget: `pull --verbose` states the memory budget and
// where it came from; without --verbose it says nothing of it.
func TestPullVerboseBudget(t *testing.T) {
	d := t.TempDir()
	src, dst, tree := filepath.Join(d, "src"), filepath.Join(d, "dst"), filepath.Join(d, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "f"), []byte("data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	clitest.MustOurs(t, nil, "--repo="+src, "init", "--mode=archive")
	clitest.MustOurs(t, nil, "--repo="+src, "commit", "-b", "main", "-s", "one", "--tree=dir="+tree)
	clitest.MustOurs(t, nil, "--repo="+dst, "init", "--mode=bare-user")
	clitest.MustOurs(t, nil, "--repo="+dst, "remote", "add", "--no-gpg-verify", "origin", "file://"+src)

	_, errs, code := clitest.RunOurs(t, nil, "--repo="+dst, "pull", "origin", "main")
	if code != 0 || strings.Contains(errs, "memory budget") {
		t.Fatalf("pull without --verbose: exit %d, stderr %q", code, errs)
	}

	_, errs, code = clitest.RunOurs(t, nil, "--repo="+dst, "pull", "-v", "origin", "main")
	want, err := membudget.Explain(nil)
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || !strings.Contains(errs, "memory budget: "+want.String()+"\n") {
		t.Fatalf("pull -v without a configured budget: exit %d, stderr %q; want the line for %+v", code, errs, want)
	}

	clitest.MustOurs(t, nil, "--repo="+dst, "config", "set", "core.memory-budget", "24MB")
	_, errs, code = clitest.RunOurs(t, nil, "--repo="+dst, "pull", "--verbose", "origin", "main")
	if code != 0 || !strings.Contains(errs, "memory budget: 24.0 MiB (core.memory-budget)\n") {
		t.Fatalf("pull --verbose with core.memory-budget=24MB: exit %d, stderr %q", code, errs)
	}
}
