package traverse

// This file holds test helpers shared by the tests of traverse, fsck,
// prune and pull (as restic's repository/testing.go): small object graphs
// committed through the ordinary transaction API, and ways to damage
// them (delete, overwrite or append to objects).

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// TestTree describes a directory: string values are regular files with that
// content, TestSymlink values symlinks, TestTree values subdirectories.
type TestTree map[string]any

// TestSymlink is a symlink target in a TestTree.
type TestSymlink string

// TestExec is an executable file's content in a TestTree.
type TestExec string

// TestRepo creates an empty repository in mode under t.TempDir().
func TestRepo(t testing.TB, mode repo.Mode) *repo.Repo {
	t.Helper()
	r, err := repo.Init(context.Background(), t.TempDir()+"/repo", repo.InitOptions{Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	r.SetFsync(false)
	return r
}

func owner(r *repo.Repo) uint32 {
	if r.Mode() == repo.ModeBare {
		return uint32(os.Getuid())
	}
	return 0
}

func ownerGID(r *repo.Repo) uint32 {
	if r.Mode() == repo.ModeBare {
		return uint32(os.Getgid())
	}
	return 0
}

// TestWriteTree stores tree's objects in txn and returns its dirtree and
// dirmeta checksums.
func TestWriteTree(t testing.TB, txn *repo.Txn, tree TestTree) (object.Checksum, object.Checksum) {
	t.Helper()
	ctx := context.Background()
	r := txn.Repo()
	uid, gid := owner(r), ownerGID(r)
	var dt object.DirTree
	names := make([]string, 0, len(tree))
	for n := range tree {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		var h *object.FileHeader
		var content string
		switch v := tree[name].(type) {
		case string:
			h, content = &object.FileHeader{UID: uid, GID: gid, Mode: object.ModeReg | 0o644}, v
		case TestExec:
			h, content = &object.FileHeader{UID: uid, GID: gid, Mode: object.ModeReg | 0o755}, string(v)
		case TestSymlink:
			h = &object.FileHeader{UID: uid, GID: gid, Mode: object.ModeLink | 0o777, Target: string(v)}
		case TestTree:
			sub, meta := TestWriteTree(t, txn, v)
			dt.Dirs = append(dt.Dirs, object.TreeDir{Name: name, Tree: sub, Meta: meta})
			continue
		default:
			t.Fatalf("traverse: unsupported tree entry %T", v)
		}
		c, err := txn.WriteFile(ctx, h, int64(len(content)), strings.NewReader(content), nil)
		if err != nil {
			t.Fatal(err)
		}
		dt.Files = append(dt.Files, object.TreeFile{Name: name, Checksum: c})
	}
	treeC, err := txn.WriteMetadata(ctx, object.TypeDirTree, object.MarshalDirTree(dt))
	if err != nil {
		t.Fatal(err)
	}
	metaC, err := txn.WriteMetadata(ctx, object.TypeDirMeta, object.MarshalDirMeta(object.DirMeta{UID: uid, GID: gid, Mode: object.ModeDir | 0o755}))
	if err != nil {
		t.Fatal(err)
	}
	return treeC, metaC
}

// TestCommitOptions add details to a commit.
type TestCommitOptions struct {
	Parent    object.Checksum
	Subject   string
	Timestamp uint64
	// Ref, when set, is pointed at the commit.
	Ref string
	// RefBindings and CollectionBinding set the binding metadata.
	RefBindings       []string
	CollectionBinding string
}

// TestCommit stores tree as a commit and returns its checksum.
func TestCommit(t testing.TB, r *repo.Repo, tree TestTree, opts TestCommitOptions) object.Checksum {
	t.Helper()
	ctx := context.Background()
	txn, err := r.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Abort()
	root, meta := TestWriteTree(t, txn, tree)
	cm := &object.Commit{Parent: opts.Parent, Subject: opts.Subject, Timestamp: opts.Timestamp, RootTree: root, RootMeta: meta}
	if len(opts.RefBindings) > 0 {
		list := make([]any, len(opts.RefBindings))
		for i, s := range opts.RefBindings {
			list[i] = s
		}
		cm.Metadata.Set("ostree.ref-binding", gvariant.NewVariant("as", list))
	}
	if opts.CollectionBinding != "" {
		cm.Metadata.Set("ostree.collection-binding", gvariant.NewVariant("s", opts.CollectionBinding))
	}
	b, err := object.MarshalCommit(cm)
	if err != nil {
		t.Fatal(err)
	}
	c, err := txn.WriteMetadata(ctx, object.TypeCommit, b)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Ref != "" {
		txn.SetRef("", opts.Ref, &c)
	}
	if err := txn.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestChain commits trees in order on ref, each the parent of the next, and
// returns their checksums.
func TestChain(t testing.TB, r *repo.Repo, ref string, trees ...TestTree) []object.Checksum {
	t.Helper()
	var out []object.Checksum
	var parent object.Checksum
	for i, tr := range trees {
		parent = TestCommit(t, r, tr, TestCommitOptions{Parent: parent, Subject: "commit", Timestamp: uint64(1600000000 + i), Ref: ref})
		out = append(out, parent)
	}
	return out
}

// TestPath is the loose path of object n in r.
func TestPath(r *repo.Repo, n object.Name) string { return r.ObjectPath(n.Checksum, n.Type) }

// TestRemove deletes object n from r.
func TestRemove(t testing.TB, r *repo.Repo, n object.Name) {
	t.Helper()
	if err := os.Remove(TestPath(r, n)); err != nil {
		t.Fatal(err)
	}
}

// TestOverwrite replaces object n's stored bytes (as a new file, so hard
// links elsewhere are untouched).
func TestOverwrite(t testing.TB, r *repo.Repo, n object.Name, data []byte) {
	t.Helper()
	p := TestPath(r, n)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAppend adds bytes to object n's stored file, in place.
func TestAppend(t testing.TB, r *repo.Repo, n object.Name, data []byte) {
	t.Helper()
	p := TestPath(r, n)
	_ = os.Chmod(p, 0o644)
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
}

// TestRootTree returns the root dirtree of commit c.
func TestRootTree(t testing.TB, r *repo.Repo, c object.Checksum) object.DirTree {
	t.Helper()
	cm, err := r.LoadCommit(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	dt, err := r.LoadDirTree(context.Background(), cm.RootTree)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

// TestFileName names the content object of a root-level file of commit c.
func TestFileName(t testing.TB, r *repo.Repo, c object.Checksum, name string) object.Name {
	t.Helper()
	for _, f := range TestRootTree(t, r, c).Files {
		if f.Name == name {
			return object.Name{Checksum: f.Checksum, Type: object.TypeFile}
		}
	}
	t.Fatalf("traverse: no file %q at the root of %s", name, c)
	return object.Name{}
}

// TestDirName names the dirtree of a root-level directory of commit c.
func TestDirName(t testing.TB, r *repo.Repo, c object.Checksum, name string) (tree, meta object.Name) {
	t.Helper()
	for _, d := range TestRootTree(t, r, c).Dirs {
		if d.Name == name {
			return object.Name{Checksum: d.Tree, Type: object.TypeDirTree}, object.Name{Checksum: d.Meta, Type: object.TypeDirMeta}
		}
	}
	t.Fatalf("traverse: no directory %q at the root of %s", name, c)
	return object.Name{}, object.Name{}
}

// TestAllObjects lists every loose object of r.
func TestAllObjects(t testing.TB, r *repo.Repo) map[object.Name]bool {
	t.Helper()
	out := map[object.Name]bool{}
	if err := r.ListObjects(context.Background(), func(n object.Name) error { out[n] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}
