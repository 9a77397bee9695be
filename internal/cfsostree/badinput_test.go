package cfsostree_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/cfsostree"
	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// objectOf returns the checksum of the content object at path in the
// commit, found through its dirtree.
func objectOf(t *testing.T, r *repo.Repo, c object.Checksum, name string) object.Checksum {
	t.Helper()
	ctx := context.Background()
	cm, _ := r.LoadCommit(ctx, c)
	dt, err := r.LoadDirTree(ctx, cm.RootTree)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range dt.Files {
		if f.Name == name {
			return f.Checksum
		}
	}
	t.Fatalf("%s not in the root dirtree", name)
	return object.Checksum{}
}

func TestMissingAndCorruptObjects(t *testing.T) {
	ctx := context.Background()
	tree := []entry{{path: "ok", content: "fine\n"}, {path: "victim", content: "victim content\n"}}
	cases := []struct {
		name   string
		mode   repo.Mode
		damage func(p string) error
		want   string
	}{
		{"missing", repo.ModeBareUser, os.Remove, "Couldn't find file object"},
		{"no-ostreemeta", repo.ModeBareUser, func(p string) error { return unix.Removexattr(p, "user.ostreemeta") }, "user.ostreemeta"},
		{"truncated-filez", repo.ModeArchive, func(p string) error { return os.Truncate(p, 40) }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRepo(t, tc.mode)
			c := commitTree(t, r, "main", makeTree(t, tree), commitOpts{canonical: true})
			obj := objectOf(t, r, c, "victim")
			if err := tc.damage(r.ObjectPath(obj, object.TypeFile)); err != nil {
				t.Fatal(err)
			}
			_, err := cfsostree.CheckoutImage(ctx, r, c, filepath.Join(t.TempDir(), "x.cfs"), cfsostree.VerityRequired)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, obj.String()) || !strings.Contains(msg, "/victim") || !strings.Contains(msg, tc.want) {
				t.Errorf("error does not name the object, the path and the cause: %v", err)
			}
		})
	}
}

func TestMissingMetadata(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t, repo.ModeBareUser)
	c := commitTree(t, r, "main", makeTree(t, []entry{{path: "d", dir: true}, {path: "d/f", content: "x"}}), commitOpts{canonical: true})
	cm, _ := r.LoadCommit(ctx, c)
	dt, _ := r.LoadDirTree(ctx, cm.RootTree)
	sub := dt.Dirs[0].Tree
	if err := os.Remove(r.ObjectPath(sub, object.TypeDirTree)); err != nil {
		t.Fatal(err)
	}
	_, err := cfsostree.Tree(ctx, r, cm.RootTree, cm.RootMeta, cfsostree.VerityNone)
	if err == nil || !strings.Contains(err.Error(), sub.String()) || !strings.Contains(err.Error(), "/d") || !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("err = %v", err)
	}
}

// fakeSource serves hand-made objects that no commit would write.
type fakeSource struct {
	trees map[object.Checksum]object.DirTree
	metas map[object.Checksum]object.DirMeta
	files map[object.Checksum]*object.FileHeader
}

func (f *fakeSource) LoadDirTree(_ context.Context, c object.Checksum) (object.DirTree, error) {
	return f.trees[c], nil
}

func (f *fakeSource) LoadDirMeta(_ context.Context, c object.Checksum) (object.DirMeta, error) {
	return f.metas[c], nil
}

func (f *fakeSource) LoadFile(_ context.Context, c object.Checksum) (*object.FileHeader, io.ReadCloser, int64, error) {
	return f.files[c], io.NopCloser(strings.NewReader("")), 0, nil
}

func TestRefusedTrees(t *testing.T) {
	ck := func(b byte) object.Checksum { return object.Checksum{b} }
	dirMeta := object.DirMeta{Mode: 0o40755}
	cases := []struct {
		name string
		tree object.DirTree
		meta object.DirMeta
		file *object.FileHeader
		want string
	}{
		{"chardev", object.DirTree{Files: []object.TreeFile{{Name: "dev", Checksum: ck(2)}}}, dirMeta, &object.FileHeader{Mode: 0o20644}, "neither a regular file nor a symlink"},
		{"dotdot", object.DirTree{Files: []object.TreeFile{{Name: "..", Checksum: ck(2)}}}, dirMeta, &object.FileHeader{Mode: 0o100644}, "invalid file name"},
		{"slash", object.DirTree{Dirs: []object.TreeDir{{Name: "a/b", Tree: ck(1), Meta: ck(1)}}}, dirMeta, nil, "invalid file name"},
		{"twice", object.DirTree{Files: []object.TreeFile{{Name: "a", Checksum: ck(2)}}, Dirs: []object.TreeDir{{Name: "a", Tree: ck(3), Meta: ck(1)}}}, dirMeta, &object.FileHeader{Mode: 0o100644}, "twice"},
		{"file-dirmeta", object.DirTree{}, object.DirMeta{Mode: 0o100644}, nil, "not a directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := &fakeSource{
				trees: map[object.Checksum]object.DirTree{ck(1): tc.tree, ck(3): {}},
				metas: map[object.Checksum]object.DirMeta{ck(1): tc.meta},
				files: map[object.Checksum]*object.FileHeader{ck(2): tc.file},
			}
			_, err := cfsostree.Tree(context.Background(), src, ck(1), ck(1), cfsostree.VerityNone)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
