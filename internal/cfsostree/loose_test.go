package cfsostree_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gostree/gostree/internal/cfsostree"
	"github.com/gostree/gostree/internal/fsverity"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

// loadFileOnly hides a repository's object paths, so that Tree reads
// every object through LoadFile.
type loadFileOnly struct{ r *repo.Repo }

func (s loadFileOnly) LoadDirTree(ctx context.Context, c object.Checksum) (object.DirTree, error) {
	return s.r.LoadDirTree(ctx, c)
}

func (s loadFileOnly) LoadDirMeta(ctx context.Context, c object.Checksum) (object.DirMeta, error) {
	return s.r.LoadDirMeta(ctx, c)
}

func (s loadFileOnly) LoadFile(ctx context.Context, c object.Checksum) (*object.FileHeader, io.ReadCloser, int64, error) {
	return s.r.LoadFile(ctx, c)
}

// TestLooseMatchesLoadFile: reading objects by path (statx and xattrs)
// gives the image that LoadFile gives, byte for byte, in every bare
// mode and verity setting, on the test's filesystem, on tmpfs (whose
// statx cannot tell fs-verity) and on ext4 with fs-verity enabled on
// some objects; and every object of those repositories is read by path.
func TestLooseMatchesLoadFile(t *testing.T) {
	ctx := context.Background()
	tree := mappingTree(t)
	places := map[string]func(t *testing.T) string{
		"tempdir": func(t *testing.T) string { return t.TempDir() },
		"tmpfs": func(t *testing.T) string {
			if _, err := os.Stat("/dev/shm"); err != nil {
				testutil.Skip(t, "no /dev/shm")
			}
			d, err := os.MkdirTemp("/dev/shm", "cfsostree-test-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		},
		"ext4-verity": ext4VerityDir,
	}
	for place, dir := range places {
		for _, mode := range []repo.Mode{repo.ModeBare, repo.ModeBareUser, repo.ModeBareUserOnly} {
			t.Run(place+"/"+mode.String(), func(t *testing.T) {
				r, err := repo.Init(ctx, filepath.Join(dir(t), "repo"), repo.InitOptions{Mode: mode})
				if err != nil {
					t.Fatal(err)
				}
				c := commitTree(t, r, "main", tree, commitOpts{})
				cm, err := r.LoadCommit(ctx, c)
				if err != nil {
					t.Fatal(err)
				}
				objs := fileObjects(t, r, cm.RootTree)
				if place == "ext4-verity" {
					for i, o := range objs {
						if i%2 == 0 && !enableObjectVerity(t, r, o) {
							break
						}
					}
				}
				for _, v := range []cfsostree.Verity{cfsostree.VerityNone, cfsostree.VerityMeasured, cfsostree.VerityRequired} {
					for _, o := range objs {
						if _, ok := cfsostree.LooseFileNode(r, o, v); !ok {
							t.Errorf("%s: object %s not read by path", v, o)
						}
					}
					fast := imageBytes(t, r, cm, v)
					slow := imageBytes(t, loadFileOnly{r}, cm, v)
					if !bytes.Equal(fast, slow) {
						t.Errorf("%s: image by path (%d bytes) differs from the image through LoadFile (%d bytes)", v, len(fast), len(slow))
					}
				}
			})
		}
	}
}

func imageBytes(t *testing.T, src cfsostree.Source, cm *object.Commit, v cfsostree.Verity) []byte {
	t.Helper()
	root, err := cfsostree.Tree(context.Background(), src, cm.RootTree, cm.RootMeta, v)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := cfsostree.WriteImage(&b, root); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fileObjects lists the distinct content objects below dirtree c.
func fileObjects(t *testing.T, r *repo.Repo, c object.Checksum) []object.Checksum {
	t.Helper()
	seen := map[object.Checksum]bool{}
	var out []object.Checksum
	var walk func(c object.Checksum)
	walk = func(c object.Checksum) {
		dt, err := r.LoadDirTree(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range dt.Files {
			if !seen[f.Checksum] {
				seen[f.Checksum] = true
				out = append(out, f.Checksum)
			}
		}
		for _, d := range dt.Dirs {
			walk(d.Tree)
		}
	}
	walk(c)
	return out
}

// ext4VerityDir is a directory on a loop-mounted ext4 made with -O
// verity (root, mkfs.ext4 and mount needed).
func ext4VerityDir(t *testing.T) string {
	testutil.RequiresRoot(t)
	mountBin := testutil.RequiresTool(t, "mount")
	img := filepath.Join(t.TempDir(), "verity.ext4")
	testutil.MakeExt4(t, img, true)
	dir := t.TempDir()
	if out, err := exec.Command(mountBin, "-o", "loop", img, dir).CombinedOutput(); err != nil {
		testutil.Skip(t, "mount -o loop: "+err.Error()+"\n"+string(out))
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// enableObjectVerity turns on fs-verity for a non-empty regular
// object; false when the kernel has no fs-verity (the test then goes on
// without: statx still says that no object has it).
func enableObjectVerity(t *testing.T, r *repo.Repo, c object.Checksum) bool {
	t.Helper()
	p := r.ObjectPath(c, object.TypeFile)
	st, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Mode().IsRegular() || st.Size() == 0 {
		return true
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = fsverity.Enable(f, fsverity.Params{})
	if errors.Is(err, fsverity.ErrNotSupported) && !testutil.FsverityRequired() {
		t.Logf("no fs-verity in this kernel: %v", err)
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}
