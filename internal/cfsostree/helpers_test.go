package cfsostree_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gostree/gostree/internal/commit"
	"github.com/gostree/gostree/internal/composefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// entry is one path of a test tree: a directory (dir), a symlink
// (target) or a regular file (content), with its permission bits.
type entry struct {
	path    string
	dir     bool
	target  string
	content string
	perm    os.FileMode
}

// makeTree writes the entries below a new directory (itself 0755).
func makeTree(t testing.TB, entries []entry) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "tree")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p := filepath.Join(root, e.path)
		var err error
		switch {
		case e.dir:
			err = os.Mkdir(p, 0o755)
		case e.target != "":
			err = os.Symlink(e.target, p)
		default:
			err = os.WriteFile(p, []byte(e.content), 0o644)
		}
		if err == nil && e.perm != 0 && e.target == "" {
			err = os.Chmod(p, e.perm)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func newRepo(t testing.TB, mode repo.Mode) *repo.Repo {
	t.Helper()
	r, err := repo.Init(context.Background(), filepath.Join(t.TempDir(), "repo"), repo.InitOptions{Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// commitOpts are the commit options the tests vary.
type commitOpts struct {
	canonical  bool // --owner-uid=0 --owner-gid=0 --no-xattrs --canonical-permissions
	composefs  bool // --generate-composefs-metadata
	metadata   object.Metadata
	treeCommit string // --tree=ref=COMMIT instead of dir
}

func commitTree(t testing.TB, r *repo.Repo, branch, dir string, o commitOpts) object.Checksum {
	t.Helper()
	ts := uint64(0)
	opts := commit.Options{Branch: branch, Timestamp: &ts, ComposefsMetadata: o.composefs, Metadata: o.metadata,
		Trees: []commit.TreeSource{{Kind: "dir", Arg: dir}}, Getenv: func(string) string { return "" }}
	if o.treeCommit != "" {
		opts.Trees = []commit.TreeSource{{Kind: "ref", Arg: o.treeCommit}}
	}
	if o.canonical {
		m := commit.NewModifier()
		m.OwnerUID, m.OwnerGID, m.SkipXattrs, m.CanonicalPermissions = 0, 0, true, true
		opts.Modifier = m
	}
	res, err := commit.Run(context.Background(), r, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res.Commit
}

// dumpOf returns the image at path in composefs-info dump format.
func dumpOf(t testing.TB, path string) string {
	t.Helper()
	im := readImage(t, path)
	var b bytes.Buffer
	if err := composefs.WriteDump(&b, im.Root); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func readImage(t testing.TB, path string) *composefs.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	im, err := composefs.ReadImage(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return im
}
