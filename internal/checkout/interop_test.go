package checkout

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

func runReference(t *testing.T, ref string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(ref, args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// makeSourceTree writes a tree with the cases checkouts must get right.
func makeSourceTree(t *testing.T, dir string, canonical bool) {
	t.Helper()
	write := func(p, data string, mode os.FileMode) {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("file", "hello\n", 0o644)
	write("exe", "#!/bin/sh\n", 0o755)
	write("ro", "ro\n", 0o400)
	write("empty1", "", 0o644)
	write("empty2", "", 0o644)
	write("d1/d2/deep", "deep\n", 0o644)
	write("d3/x", "x\n", 0o644)
	write("wh/.ostree-wh.gone", "", 0o600)
	os.Symlink("file", filepath.Join(dir, "link"))
	os.Symlink("/abs/target", filepath.Join(dir, "abslink"))
	os.Chmod(filepath.Join(dir, "d3"), 0o700)
	if !canonical {
		write("suid", "suid\n", 0o4755|os.ModeSetuid)
		os.Chmod(filepath.Join(dir, "suid"), 0o755|os.ModeSetuid)
		write("unread", "u\n", 0o000)
		os.Chown(filepath.Join(dir, "d1/d2/deep"), 1234, 5678)
		os.Chown(filepath.Join(dir, "d1"), 42, 43)
		if err := exec.Command("setfattr", "-n", "user.dirattr", "-v", "dv", filepath.Join(dir, "d1")).Run(); err != nil {
			t.Logf("setfattr: %v", err)
		}
		exec.Command("setfattr", "-n", "user.fa", "-v", "1", filepath.Join(dir, "file")).Run()
	}
}

// TestCheckoutMatchesReference has the reference commit a tree into each
// repository mode and check it out with various options; our checkout
// of the same commit must give the same modes, owners, contents,
// symlinks, xattrs, hard links and directory mtimes.
func TestCheckoutMatchesReference(t *testing.T) {
	testutil.RequiresRoot(t)
	ref := testutil.ReferenceOstree(t)
	for _, mode := range []string{"bare", "bare-user", "bare-user-only", "archive"} {
		t.Run(mode, func(t *testing.T) {
			base := t.TempDir()
			src := filepath.Join(base, "src")
			canonical := mode == "bare-user-only"
			makeSourceTree(t, src, canonical)
			rp := filepath.Join(base, "repo")
			if out, err := runReference(t, ref, "init", "--repo="+rp, "--mode="+mode); err != nil {
				t.Fatalf("init: %v\n%s", err, out)
			}
			args := []string{"commit", "--repo=" + rp, "-b", "t", "--tree=dir=" + src}
			if canonical {
				args = append(args, "--canonical-permissions", "--no-xattrs", "--owner-uid=0", "--owner-gid=0")
			}
			if out, err := runReference(t, ref, args...); err != nil {
				t.Fatalf("commit: %v\n%s", err, out)
			}
			ctx := context.Background()
			r, err := repo.Open(ctx, rp)
			if err != nil {
				t.Fatal(err)
			}
			c, err := r.ResolveRev(ctx, "t", false)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name string
				args []string
				opts Options
			}{
				{"default", nil, Options{UncompressedCache: true}},
				{"user", []string{"-U"}, Options{UserMode: true, UncompressedCache: true}},
				{"force copy", []string{"-C"}, Options{ForceCopy: true}},
				{"user force copy", []string{"-U", "-C"}, Options{UserMode: true, ForceCopy: true}},
				{"user no cache", []string{"-U", "--disable-cache"}, Options{UserMode: true}},
				{"bareuseronly dirs", []string{"-U", "-M"}, Options{UserMode: true, BareUserOnlyDirs: true}},
				{"subpath", []string{"--subpath=/d1"}, Options{Subpath: "/d1", UncompressedCache: true}},
				{"passthrough whiteouts", []string{"--process-passthrough-whiteouts"}, Options{PassthroughWhiteouts: true}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					d := t.TempDir()
					refDest, ourDest := filepath.Join(d, "ref"), filepath.Join(d, "ours")
					out, refErr := runReference(t, ref, append(append([]string{"checkout", "--repo=" + rp}, tc.args...), "t", refDest)...)
					err := Checkout(ctx, r, c, ourDest, tc.opts)
					if (refErr != nil) != (err != nil) {
						t.Fatalf("error %v, reference %v: %s", err, refErr, out)
					}
					if refErr != nil {
						if !strings.Contains(out, err.Error()) {
							t.Errorf("error %q, reference said %q", err, out)
						}
						return
					}
					if diff := cmp.Diff(listTree(t, refDest), listTree(t, ourDest)); diff != "" {
						t.Errorf("checkout differs (-reference +ours):\n%s", diff)
					}
				})
			}
		})
	}
}
