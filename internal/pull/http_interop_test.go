package pull_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
	"github.com/gostree/gostree/internal/traverse"
)

// referenceSource makes an archive repository with the reference: two
// commits on main, with a summary when asked.
func referenceSource(t *testing.T, ref string, withSummary bool) string {
	t.Helper()
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	files := map[string]string{"firstfile": "first\n", "baz/cow": "moo\n", "baz/saucer": "alien\n", "big": strings.Repeat("0123456789abcdef", 1<<16)}
	for p, c := range files {
		os.MkdirAll(filepath.Join(tree, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(tree, p), []byte(c), 0o644)
	}
	os.Symlink("firstfile", filepath.Join(tree, "link"))
	rp := filepath.Join(dir, "repo")
	run(t, ref, "--repo="+rp, "init", "--mode=archive")
	run(t, ref, "--repo="+rp, "commit", "-b", "main", "-s", "one", "--tree=dir="+tree)
	os.MkdirAll(filepath.Join(tree, "baz/deeper"), 0o755)
	os.WriteFile(filepath.Join(tree, "baz/deeper/ohyeah"), []byte("hi\n"), 0o644)
	run(t, ref, "--repo="+rp, "commit", "-b", "main", "-s", "two", "--tree=dir="+tree)
	if withSummary {
		run(t, ref, "--repo="+rp, "summary", "-u")
	}
	return rp
}

// TestReferencePullsFromOurServer lets the reference `ostree pull` from
// our server, in every mode, and fsck the result.
func TestReferencePullsFromOurServer(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	ours, _ := httpSource(t, true)
	for _, tc := range []struct {
		name string
		src  func() *repo.Repo
	}{
		{"reference repo", func() *repo.Repo {
			r, err := repo.Open(ctx, referenceSource(t, ref, true))
			if err != nil {
				t.Fatal(err)
			}
			return r
		}},
		{"reference repo without summary", func() *repo.Repo {
			r, err := repo.Open(ctx, referenceSource(t, ref, false))
			if err != nil {
				t.Fatal(err)
			}
			return r
		}},
		{"our repo", func() *repo.Repo { return ours }},
	} {
		src := tc.src()
		url, _ := serveRepo(t, src, nil)
		for _, mode := range []string{"bare", "bare-user", "archive"} {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				dp := filepath.Join(t.TempDir(), "dst")
				run(t, ref, "--repo="+dp, "init", "--mode="+mode)
				run(t, ref, "--repo="+dp, "remote", "add", "--set=gpg-verify=false", "origin", url)
				out := run(t, ref, "--repo="+dp, "pull", "--depth=-1", "origin", "main")
				if !strings.Contains(out, "content objects fetched") {
					t.Errorf("pull said %q", out)
				}
				if out := run(t, ref, "--repo="+dp, "fsck"); !strings.Contains(out, "object fsck of 2 commits completed successfully") {
					t.Errorf("reference fsck: %s", out)
				}
				// Resuming from our server: a second pull has nothing to do.
				run(t, ref, "--repo="+dp, "pull", "--depth=-1", "origin", "main")
			})
		}
	}
}

// trivialHTTPD serves dir with the reference's test web server.
func trivialHTTPD(t *testing.T, dir string) string {
	t.Helper()
	bin := "/usr/libexec/libostree/ostree-trivial-httpd"
	if _, err := os.Stat(bin); err != nil {
		testutil.Skip(t, "ostree-trivial-httpd not installed (package ostree-tests)")
	}
	portFile := filepath.Join(t.TempDir(), "port")
	cmd := exec.Command(bin, "-p", portFile, dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for range 100 {
		if b, err := os.ReadFile(portFile); err == nil && len(b) > 0 && b[len(b)-1] == '\n' {
			return fmt.Sprintf("http://127.0.0.1:%s/", strings.TrimSpace(string(b)))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("ostree-trivial-httpd did not start")
	return ""
}

// TestPullFromReferenceServer pulls repositories the reference made,
// served by the reference's web server, and lets both fscks check.
func TestPullFromReferenceServer(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	for _, withSummary := range []bool{true, false} {
		rp := referenceSource(t, ref, withSummary)
		url := trivialHTTPD(t, rp)
		for _, mode := range modes {
			t.Run(fmt.Sprintf("summary=%v/%s", withSummary, mode), func(t *testing.T) {
				dst := addRemote(t, traverse.TestRepo(t, mode), "origin", url)
				res, err := pull.PullRemote(ctx, dst, "origin", fastOpts(pull.Options{Refs: []string{"main"}, Depth: -1}))
				if err != nil {
					t.Fatal(err)
				}
				if res.MetadataFetched == 0 || res.ContentFetched == 0 {
					t.Errorf("result %+v", res)
				}
				verifyAll(t, dst)
				if out := run(t, ref, "--repo="+dst.Path(), "fsck"); !strings.Contains(out, "object fsck of 2 commits completed successfully") {
					t.Errorf("reference fsck: %s", out)
				}
				want := strings.TrimSpace(run(t, ref, "--repo="+rp, "rev-parse", "main"))
				if got := strings.TrimSpace(run(t, ref, "--repo="+dst.Path(), "rev-parse", "origin:main")); got != want {
					t.Errorf("origin:main = %s, want %s", got, want)
				}
			})
		}
	}
}
