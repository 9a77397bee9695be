package repo

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/testutil"
)

var allModes = []Mode{ModeBare, ModeBareUser, ModeBareUserOnly, ModeArchive}

// sampleCommit writes a small tree by hand: a file with an xattr, an
// executable, a symlink and a subdirectory, then a commit on ref "main".
func sampleCommit(t *testing.T, r *Repo) object.Checksum {
	t.Helper()
	ctx := context.Background()
	tx, err := r.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Abort()
	var xattrs object.Xattrs
	if r.Mode() == ModeBare || r.Mode() == ModeBareUser || r.Mode() == ModeArchive {
		xattrs = object.Xattrs{{Name: "user.test", Value: []byte("value")}}
	}
	write := func(h object.FileHeader, payload string) object.Checksum {
		c, err := tx.WriteFile(ctx, &h, int64(len(payload)), strings.NewReader(payload), nil)
		if err != nil {
			t.Fatalf("write file: %v", err)
		}
		return c
	}
	hello := write(object.FileHeader{Mode: 0o100644, Xattrs: xattrs}, "hello\n")
	tool := write(object.FileHeader{Mode: 0o100755}, "#!/bin/sh\necho hi\n")
	link := write(object.FileHeader{Mode: 0o120777, Target: "hello"}, "")
	meta, err := tx.WriteMetadata(ctx, object.TypeDirMeta, object.MarshalDirMeta(object.DirMeta{Mode: 0o40755}))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := tx.WriteMetadata(ctx, object.TypeDirTree, object.MarshalDirTree(object.DirTree{
		Files: []object.TreeFile{{Name: "tool", Checksum: tool}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	root, err := tx.WriteMetadata(ctx, object.TypeDirTree, object.MarshalDirTree(object.DirTree{
		Files: []object.TreeFile{{Name: "hello", Checksum: hello}, {Name: "link", Checksum: link}},
		Dirs:  []object.TreeDir{{Name: "sub", Tree: sub, Meta: meta}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := object.MarshalCommit(&object.Commit{Subject: "sample", Timestamp: 1577836800, RootTree: root, RootMeta: meta})
	if err != nil {
		t.Fatal(err)
	}
	c, err := tx.WriteMetadata(ctx, object.TypeCommit, cb)
	if err != nil {
		t.Fatal(err)
	}
	tx.SetRef("", "main", &c)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWriteAndReadEveryMode(t *testing.T) {
	ctx := context.Background()
	for _, m := range allModes {
		t.Run(m.String(), func(t *testing.T) {
			r, err := Init(ctx, t.TempDir(), InitOptions{Mode: m})
			if err != nil {
				t.Fatal(err)
			}
			c := sampleCommit(t, r)
			got, err := r.ResolveRev(ctx, "main", false)
			if err != nil || got != c {
				t.Fatalf("ResolveRev = %s, %v; want %s", got, err, c)
			}
			cm, err := r.LoadCommit(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			tree, err := r.LoadDirTree(ctx, cm.RootTree)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range tree.Files {
				h, rc, size, err := r.LoadFile(ctx, f.Checksum)
				if err != nil {
					t.Fatalf("%s: %v", f.Name, err)
				}
				data, _ := io.ReadAll(rc)
				rc.Close()
				if int64(len(data)) != size {
					t.Errorf("%s: read %d bytes, size %d", f.Name, len(data), size)
				}
				sum, _, _ := object.FileChecksum(h, bytes.NewReader(data))
				if sum != f.Checksum {
					t.Errorf("%s: stored object rehashes to %s, want %s", f.Name, sum, f.Checksum)
				}
			}
			if _, err := r.ResolveRev(ctx, "nosuchref", false); !errors.Is(err, errdefs.ErrNotFound) {
				t.Errorf("unknown ref: %v", err)
			}
		})
	}
}

func TestWriteFileRejectsWrongChecksum(t *testing.T) {
	ctx := context.Background()
	r, err := Init(ctx, t.TempDir(), InitOptions{Mode: ModeArchive})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := r.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Abort()
	var wrong object.Checksum
	h := object.FileHeader{Mode: 0o100644}
	if _, err := tx.WriteFile(ctx, &h, 2, strings.NewReader("hi"), &wrong); !errors.Is(err, errdefs.ErrCorrupt) {
		t.Fatalf("WriteFile with a wrong checksum: %v", err)
	}
	if _, err := tx.WriteFile(ctx, &h, 5, strings.NewReader("hi"), nil); err == nil {
		t.Fatal("short payload accepted")
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	_ = r.ListObjects(ctx, func(object.Name) error { n++; return nil })
	if n != 0 {
		t.Fatalf("%d objects stored after rejected writes", n)
	}
}

func TestAbortPublishesNothing(t *testing.T) {
	ctx := context.Background()
	r, err := Init(ctx, t.TempDir(), InitOptions{Mode: ModeBareUser})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := r.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tx.WriteMetadata(ctx, object.TypeDirMeta, object.MarshalDirMeta(object.DirMeta{Mode: 0o40755}))
	if err != nil {
		t.Fatal(err)
	}
	tx.Abort()
	if ok, _ := r.HasObject(ctx, c, object.TypeDirMeta); ok {
		t.Fatal("aborted object visible")
	}
	ents, _ := os.ReadDir(filepath.Join(r.Path(), "tmp"))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "staging-") {
			t.Errorf("staging dir %s left behind", e.Name())
		}
	}
}

// TestReferenceReadsOurRepo has the reference ostree fsck and check out
// a commit we wrote, in every mode.
func TestReferenceReadsOurRepo(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	for _, m := range allModes {
		t.Run(m.String(), func(t *testing.T) {
			dir := t.TempDir()
			r, err := Init(ctx, filepath.Join(dir, "repo"), InitOptions{Mode: m})
			if err != nil {
				t.Fatal(err)
			}
			c := sampleCommit(t, r)
			run := func(args ...string) string {
				out, err := exec.Command(ref, append([]string{"--repo=" + r.Path()}, args...)...).CombinedOutput()
				if err != nil {
					t.Fatalf("ostree %v: %v\n%s", args, err, out)
				}
				return string(out)
			}
			run("fsck")
			if got := strings.TrimSpace(run("rev-parse", "main")); got != c.String() {
				t.Errorf("reference rev-parse main = %s, want %s", got, c)
			}
			co := filepath.Join(dir, "co")
			args := []string{"checkout", "main", co}
			if m != ModeBare && m != ModeArchive {
				args = []string{"checkout", "-U", "main", co}
			}
			run(args...)
			b, err := os.ReadFile(filepath.Join(co, "hello"))
			if err != nil || string(b) != "hello\n" {
				t.Errorf("hello = %q, %v", b, err)
			}
			if tgt, err := os.Readlink(filepath.Join(co, "link")); err != nil || tgt != "hello" {
				t.Errorf("link -> %q, %v", tgt, err)
			}
			st, err := os.Stat(filepath.Join(co, "sub", "tool"))
			if err != nil || st.Mode().Perm() != 0o755 {
				t.Errorf("sub/tool: %v %v", st, err)
			}
		})
	}
}

// TestWeReadReferenceRepo reads a commit the reference wrote and rehashes
// every file.
func TestWeReadReferenceRepo(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	for _, m := range []string{"bare", "bare-user", "bare-user-only", "archive"} {
		t.Run(m, func(t *testing.T) {
			dir := t.TempDir()
			tree := filepath.Join(dir, "tree")
			os.MkdirAll(filepath.Join(tree, "d"), 0o755)
			os.WriteFile(filepath.Join(tree, "a"), []byte("alpha\n"), 0o644)
			os.WriteFile(filepath.Join(tree, "d", "x"), []byte("#!/bin/sh\n"), 0o755)
			os.Symlink("a", filepath.Join(tree, "l"))
			rp := filepath.Join(dir, "repo")
			for _, args := range [][]string{{"init", "--mode=" + m}, {"commit", "-b", "main", "--tree=dir=" + tree}} {
				if out, err := exec.Command(ref, append([]string{"--repo=" + rp}, args...)...).CombinedOutput(); err != nil {
					t.Fatalf("%v: %v\n%s", args, err, out)
				}
			}
			r, err := Open(ctx, rp)
			if err != nil {
				t.Fatal(err)
			}
			c, err := r.ResolveRev(ctx, "main", false)
			if err != nil {
				t.Fatal(err)
			}
			cm, err := r.LoadCommit(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			var walk func(tc object.Checksum, path string)
			files := 0
			walk = func(tc object.Checksum, path string) {
				tree, err := r.LoadDirTree(ctx, tc)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range tree.Files {
					h, rc, _, err := r.LoadFile(ctx, f.Checksum)
					if err != nil {
						t.Fatalf("%s/%s: %v", path, f.Name, err)
					}
					sum, _, _ := object.FileChecksum(h, rc)
					rc.Close()
					if sum != f.Checksum {
						t.Errorf("%s/%s rehashes to %s, want %s", path, f.Name, sum, f.Checksum)
					}
					files++
				}
				for _, d := range tree.Dirs {
					if _, err := r.LoadDirMeta(ctx, d.Meta); err != nil {
						t.Fatal(err)
					}
					walk(d.Tree, path+"/"+d.Name)
				}
			}
			walk(cm.RootTree, "")
			if files != 3 {
				t.Errorf("walked %d files, want 3", files)
			}
		})
	}
}
