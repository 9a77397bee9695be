package diff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// Kind is a node's file type.
type Kind int

// Node kinds, as GIO's GFileType.
const (
	KindRegular Kind = iota + 1
	KindDirectory
	KindSymlink
	KindSpecial
)

// info is what the comparison needs about a node.
type info struct {
	kind     Kind
	uid, gid uint32
	mode     uint32
}

// Node is one side of a comparison, or an entry found below it: a path
// in a commit, or a file on disk. Nodes are created by Commit and Dir.
type Node interface {
	// Path is how `ostree diff` prints the node when base is the tree
	// it was found in: the absolute path inside a commit, or the path
	// relative to base on disk.
	Path(base Node) string
	child(name string) Node
	query(ctx context.Context) (info, bool, error) // false: no such file
	checksum(ctx context.Context, in info, ignoreXattrs bool) (object.Checksum, error)
	// children lists the entries of a directory in the order libostree
	// enumerates them.
	children(ctx context.Context) ([]Node, error)
}

// repoNode is a path in a commit. parent's dirtree locates the entry.
type repoNode struct {
	r      *repo.Repo
	parent *repoNode
	name   string
	path   string

	resolved bool
	exists   bool
	entry    repo.TreeEntry
	tree     *object.DirTree // loaded dirtree, for directories
	hdr      *object.FileHeader
}

// Commit returns the node for a commit tree's entry (normally its root).
func Commit(r *repo.Repo, e repo.TreeEntry) Node {
	return &repoNode{r: r, path: e.Path, name: e.Name, resolved: true, exists: true, entry: e}
}

func (n *repoNode) Path(Node) string { return n.path }

func (n *repoNode) child(name string) Node {
	p := "/" + name
	if n.path != "/" {
		p = n.path + p
	}
	return &repoNode{r: n.r, parent: n, name: name, path: p}
}

func (n *repoNode) dirTree(ctx context.Context) (*object.DirTree, error) {
	if n.tree == nil {
		t, err := n.r.LoadDirTree(ctx, n.entry.Tree)
		if err != nil {
			return nil, err
		}
		n.tree = &t
	}
	return n.tree, nil
}

func (n *repoNode) resolve(ctx context.Context) error {
	if n.resolved {
		return nil
	}
	n.resolved = true
	if err := n.parent.resolve(ctx); err != nil {
		return err
	}
	if !n.parent.exists || !n.parent.entry.Dir {
		return nil
	}
	t, err := n.parent.dirTree(ctx)
	if err != nil {
		return err
	}
	n.entry, n.exists = n.parent.entry.Child(*t, n.name)
	return nil
}

func (n *repoNode) query(ctx context.Context) (info, bool, error) {
	if err := n.resolve(ctx); err != nil || !n.exists {
		return info{}, false, err
	}
	if n.entry.Dir {
		m, err := n.r.LoadDirMeta(ctx, n.entry.Meta)
		if err != nil {
			return info{}, false, err
		}
		return info{kind: KindDirectory, uid: m.UID, gid: m.GID, mode: m.Mode}, true, nil
	}
	h, err := n.header(ctx)
	if err != nil {
		return info{}, false, err
	}
	k := KindRegular
	if h.IsSymlink() {
		k = KindSymlink
	}
	return info{kind: k, uid: h.UID, gid: h.GID, mode: h.Mode}, true, nil
}

func (n *repoNode) header(ctx context.Context) (*object.FileHeader, error) {
	if n.hdr == nil {
		h, rc, _, err := n.r.LoadFile(ctx, n.entry.Content)
		if err != nil {
			return nil, err
		}
		rc.Close()
		n.hdr = h
	}
	return n.hdr, nil
}

// checksum is the content checksum of a file, the dirmeta checksum of a
// directory.
func (n *repoNode) checksum(ctx context.Context, _ info, _ bool) (object.Checksum, error) {
	if err := n.resolve(ctx); err != nil {
		return object.Checksum{}, err
	}
	if n.entry.Dir {
		return n.entry.Meta, nil
	}
	return n.entry.Content, nil
}

func (n *repoNode) children(ctx context.Context) ([]Node, error) {
	if err := n.resolve(ctx); err != nil {
		return nil, err
	}
	if !n.exists {
		return nil, fmt.Errorf("No such file or directory: %s: %w", n.path, errdefs.ErrNotFound)
	}
	if !n.entry.Dir {
		return nil, repo.ErrNotDirectory
	}
	t, err := n.dirTree(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Node, 0, len(t.Files)+len(t.Dirs))
	for _, e := range n.entry.Children(*t) {
		out = append(out, &repoNode{r: n.r, parent: n, name: e.Name, path: e.Path, resolved: true, exists: true, entry: e})
	}
	return out, nil
}

// fsNode is a file on disk.
type fsNode struct {
	path string // absolute
}

// Dir returns the node for a directory on disk; path is made absolute as
// GIO does.
func Dir(path string) (Node, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return &fsNode{path: abs}, nil
}

func (n *fsNode) Path(base Node) string {
	b, ok := base.(*fsNode)
	if !ok {
		return n.path
	}
	if b.path == "/" {
		return strings.TrimPrefix(n.path, "/")
	}
	return strings.TrimPrefix(n.path, b.path+"/")
}

func (n *fsNode) child(name string) Node {
	return &fsNode{path: filepath.Join(n.path, name)}
}

func kindOf(mode uint32) Kind {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return KindRegular
	case unix.S_IFDIR:
		return KindDirectory
	case unix.S_IFLNK:
		return KindSymlink
	}
	return KindSpecial
}

func (n *fsNode) query(context.Context) (info, bool, error) {
	var st unix.Stat_t
	if err := unix.Lstat(n.path, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return info{}, false, nil
		}
		return info{}, false, fmt.Errorf("Error getting info for %s: %w", n.path, err)
	}
	return info{kind: kindOf(st.Mode), uid: st.Uid, gid: st.Gid, mode: st.Mode}, true, nil
}

// checksum computes what the object would be named if the file were
// committed (ostree_checksum_file_from_input), with in's ownership.
func (n *fsNode) checksum(_ context.Context, in info, ignoreXattrs bool) (object.Checksum, error) {
	var xattrs object.Xattrs
	if !ignoreXattrs {
		list, err := fsx.Lxattrs(n.path)
		if err != nil {
			return object.Checksum{}, err
		}
		for _, a := range list {
			xattrs = append(xattrs, object.Xattr{Name: a[0], Value: []byte(a[1])})
		}
		xattrs = xattrs.Canonical()
	}
	if in.kind == KindDirectory {
		return object.Sum(object.MarshalDirMeta(object.DirMeta{UID: in.uid, GID: in.gid, Mode: in.mode, Xattrs: xattrs})), nil
	}
	h := &object.FileHeader{UID: in.uid, GID: in.gid, Mode: in.mode, Xattrs: xattrs}
	var payload io.Reader
	switch in.kind {
	case KindSymlink:
		t, err := os.Readlink(n.path)
		if err != nil {
			return object.Checksum{}, err
		}
		h.Target = t
	case KindRegular:
		f, err := os.Open(n.path)
		if err != nil {
			return object.Checksum{}, err
		}
		defer f.Close()
		payload = f
	}
	c, _, err := object.FileChecksum(h, payload)
	if err != nil {
		return object.Checksum{}, fmt.Errorf("checksum %s: %w", n.path, err)
	}
	return c, nil
}

// glibChunk is how many entries GIO's local enumerator reads before
// sorting them by inode.
const glibChunk = 1000

// children lists the directory in GIO's order: readdir order, each chunk
// of entries sorted by inode number.
func (n *fsNode) children(context.Context) ([]Node, error) {
	ents, err := readDirents(n.path)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(ents); i += glibChunk {
		chunk := ents[i:min(len(ents), i+glibChunk)]
		sort.SliceStable(chunk, func(a, b int) bool {
			// GLib compares with (int)(a->inode - b->inode).
			return int32(uint32(chunk[a].ino-chunk[b].ino)) < 0
		})
	}
	out := make([]Node, 0, len(ents))
	for _, e := range ents {
		out = append(out, &fsNode{path: filepath.Join(n.path, e.name)})
	}
	return out, nil
}
