package checkout

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// entry describes one path of a test tree. A zero mode means 0644 for
// files and 0755 for directories; a target makes a symlink.
type entry struct {
	dir      bool
	mode     uint32 // permission bits only
	uid, gid uint32
	data     string
	target   string
	xattrs   object.Xattrs
}

type node struct {
	e     entry
	files map[string]entry
	dirs  map[string]*node
}

// newRepo creates a repository of the given mode in a temp dir.
func newRepo(t *testing.T, mode repo.Mode) *repo.Repo {
	t.Helper()
	r, err := repo.Init(context.Background(), filepath.Join(t.TempDir(), "repo"), repo.InitOptions{Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// commitTree writes tree (paths relative to the root, "/"-separated)
// as a commit and returns its checksum.
func commitTree(t *testing.T, r *repo.Repo, tree map[string]entry) object.Checksum {
	t.Helper()
	root := &node{e: entry{dir: true}, files: map[string]entry{}, dirs: map[string]*node{}}
	for p, e := range tree {
		parts := strings.Split(p, "/")
		n := root
		for _, d := range parts[:len(parts)-1] {
			if n.dirs[d] == nil {
				n.dirs[d] = &node{e: entry{dir: true}, files: map[string]entry{}, dirs: map[string]*node{}}
			}
			n = n.dirs[d]
		}
		last := parts[len(parts)-1]
		if e.dir {
			if n.dirs[last] == nil {
				n.dirs[last] = &node{files: map[string]entry{}, dirs: map[string]*node{}}
			}
			n.dirs[last].e = e
		} else {
			n.files[last] = e
		}
	}
	ctx := context.Background()
	txn, err := r.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Abort()
	tc, mc := writeNode(t, txn, root)
	c := writeCommit(t, txn, tc, mc)
	if err := txn.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

func writeCommit(t *testing.T, txn *repo.Txn, tree, meta object.Checksum) object.Checksum {
	t.Helper()
	b, err := object.MarshalCommit(&object.Commit{Subject: "test", Timestamp: 1700000000, RootTree: tree, RootMeta: meta})
	if err != nil {
		t.Fatal(err)
	}
	c, err := txn.WriteMetadata(context.Background(), object.TypeCommit, b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeNode(t *testing.T, txn *repo.Txn, n *node) (tree, meta object.Checksum) {
	t.Helper()
	ctx := context.Background()
	var dt object.DirTree
	for name, e := range n.files {
		h := &object.FileHeader{UID: e.uid, GID: e.gid, Mode: object.ModeReg | 0o644, Xattrs: e.xattrs}
		if e.mode != 0 {
			h.Mode = object.ModeReg | e.mode
		}
		if e.target != "" {
			h.Mode, h.Target = object.ModeLink|0o777, e.target
		}
		c, err := txn.WriteFile(ctx, h, int64(len(e.data)), strings.NewReader(e.data), nil)
		if err != nil {
			t.Fatal(err)
		}
		dt.Files = append(dt.Files, object.TreeFile{Name: name, Checksum: c})
	}
	for name, sub := range n.dirs {
		tc, mc := writeNode(t, txn, sub)
		dt.Dirs = append(dt.Dirs, object.TreeDir{Name: name, Tree: tc, Meta: mc})
	}
	sort.Slice(dt.Files, func(i, j int) bool { return dt.Files[i].Name < dt.Files[j].Name })
	sort.Slice(dt.Dirs, func(i, j int) bool { return dt.Dirs[i].Name < dt.Dirs[j].Name })
	return writeRawTree(t, txn, dt, n.e)
}

// writeRawTree writes a dirtree as given, unvalidated, with a dirmeta.
func writeRawTree(t *testing.T, txn *repo.Txn, dt object.DirTree, e entry) (tree, meta object.Checksum) {
	t.Helper()
	ctx := context.Background()
	mode := e.mode
	if mode == 0 {
		mode = 0o755
	}
	tree, err := txn.WriteMetadata(ctx, object.TypeDirTree, object.MarshalDirTree(dt))
	if err != nil {
		t.Fatal(err)
	}
	meta, err = txn.WriteMetadata(ctx, object.TypeDirMeta, object.MarshalDirMeta(object.DirMeta{UID: e.uid, GID: e.gid, Mode: object.ModeDir | mode, Xattrs: e.xattrs}))
	if err != nil {
		t.Fatal(err)
	}
	return tree, meta
}

// state is what a test compares about one checked-out path.
type state struct {
	Mode     uint32 // full st_mode
	UID, GID uint32
	Data     string
	Target   string
	Xattrs   string
	Linked   bool // regular file with more than one link
	MtimeSet bool // mtime is 0 (directories libostree created)
}

// listTree describes every path below dir.
func listTree(t *testing.T, dir string) map[string]state {
	t.Helper()
	out := map[string]state{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		var st syscall.Stat_t
		if err := syscall.Lstat(p, &st); err != nil {
			return err
		}
		s := state{Mode: st.Mode, UID: st.Uid, GID: st.Gid}
		switch st.Mode & syscall.S_IFMT {
		case syscall.S_IFREG:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s.Data = string(b)
			s.Linked = st.Nlink > 1
		case syscall.S_IFLNK:
			s.Target, _ = os.Readlink(p)
		case syscall.S_IFDIR:
			s.MtimeSet = st.Mtim.Sec == 0
		}
		xa, err := fsx.Lxattrs(p)
		if err != nil && !errors.Is(err, syscall.ENOTSUP) {
			return err
		}
		var names []string
		for _, a := range xa {
			// user.ostreemeta comes with hard links to bare-user objects.
			if !strings.HasPrefix(a[0], "security.") && a[0] != "user.ostreemeta" {
				names = append(names, a[0]+"="+a[1])
			}
		}
		sort.Strings(names)
		s.Xattrs = strings.Join(names, ",")
		out[rel] = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
