package cfsostree

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/gostree/gostree/internal/composefs"
	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
)

// Source reads the objects of a commit. *repo.Repo implements it, and so
// does *repo.Txn, which also sees objects it has staged.
type Source interface {
	LoadDirTree(ctx context.Context, c object.Checksum) (object.DirTree, error)
	LoadDirMeta(ctx context.Context, c object.Checksum) (object.DirMeta, error)
	LoadFile(ctx context.Context, c object.Checksum) (*object.FileHeader, io.ReadCloser, int64, error)
}

// rootDirs are added, empty, when the commit lacks them: a booted root
// bind-mounts over them (ostree commits keep /etc as /usr/etc).
var rootDirs = []string{"usr", "etc", "boot", "var", "sysroot"}

// Tree builds the composefs tree of the filesystem tree (root dirtree,
// root dirmeta). Errors name the path and the object.
func Tree(ctx context.Context, src Source, rootTree, rootMeta object.Checksum, v Verity) (*composefs.Node, error) {
	b := &builder{ctx: ctx, src: src, verity: v, metas: map[object.Checksum]object.DirMeta{}, seen: map[object.Checksum]int{}}
	if lr, ok := src.(looseRepo); ok {
		b.loose = newLooseReader(lr, v)
	}
	root, err := b.dir("/", rootTree, rootMeta)
	if err != nil {
		return nil, err
	}
	if err := b.resolveFiles(); err != nil {
		return nil, err
	}
	for _, name := range rootDirs {
		if root.Lookup(name) != nil {
			continue
		}
		if err := root.AddChild(&composefs.Node{Name: name, Mode: composefs.TypeDir | 0o755, Nlink: 1}); err != nil {
			return nil, err
		}
	}
	return root, nil
}

// builder walks the dirtrees first (small metadata objects), then loads
// each distinct content object once, in parallel (see files.go).
type builder struct {
	ctx    context.Context
	src    Source
	verity Verity
	loose  *looseReader // nil: every object through src
	buf    []byte       // dirtree reads (dir is not concurrent)
	metas  map[object.Checksum]object.DirMeta
	// slots are the file entries in walk order; uniq the distinct
	// objects, seen maps an object to its index in uniq.
	slots []slot
	uniq  []object.Checksum
	seen  map[object.Checksum]int
}

// slot is a file entry waiting for its object: it goes into parent
// (whose path is dir), after the entries before it in dirtree order.
type slot struct {
	parent *composefs.Node
	dir    string
	name   string
	obj    int
}

// path is the entry's path, for error messages.
func (s slot) path() string { return join(s.dir, s.name) }

// dir builds the directory at path from its dirtree and dirmeta. Files
// get placeholders (nil children filled by resolveFiles) so that every
// directory's children stay in dirtree order, which is sorted.
func (b *builder) dir(path string, tree, meta object.Checksum) (*composefs.Node, error) {
	if err := b.ctx.Err(); err != nil {
		return nil, err
	}
	dt, err := b.loadDirTree(tree)
	if err != nil {
		return nil, fmt.Errorf("composefs: %s: %w", path, err)
	}
	dm, ok := b.metas[meta]
	if !ok {
		if dm, err = b.src.LoadDirMeta(b.ctx, meta); err != nil {
			return nil, fmt.Errorf("composefs: %s: %w", path, err)
		}
		b.metas[meta] = dm
	}
	n := &composefs.Node{Mode: dm.Mode, UID: dm.UID, GID: dm.GID, Nlink: 1}
	if n.Type() != composefs.TypeDir {
		return nil, fmt.Errorf("composefs: %s: dirmeta %s has mode 0%o, not a directory: %w", path, meta, dm.Mode, errdefs.ErrCorrupt)
	}
	n.Xattrs = xattrs(dm.Xattrs)
	names := make(map[string]bool, len(dt.Files)+len(dt.Dirs))
	add := func(name string) error {
		if err := validName(name); err != nil {
			return fmt.Errorf("composefs: %s: dirtree %s: %w", path, tree, err)
		}
		if names[name] {
			return fmt.Errorf("composefs: %s: dirtree %s lists %q twice: %w", path, tree, name, errdefs.ErrCorrupt)
		}
		names[name] = true
		return nil
	}
	for _, f := range dt.Files {
		if err := add(f.Name); err != nil {
			return nil, err
		}
		i, ok := b.seen[f.Checksum]
		if !ok {
			i = len(b.uniq)
			b.seen[f.Checksum] = i
			b.uniq = append(b.uniq, f.Checksum)
		}
		b.slots = append(b.slots, slot{parent: n, dir: path, name: f.Name, obj: i})
	}
	for _, d := range dt.Dirs {
		if err := add(d.Name); err != nil {
			return nil, err
		}
		c, err := b.dir(join(path, d.Name), d.Tree, d.Meta)
		if err != nil {
			return nil, err
		}
		c.Name = d.Name
		n.Children = append(n.Children, c)
	}
	return n, nil
}

// loadDirTree reads a dirtree, by path in a loose repository (anything
// odd there, errors included, is left to LoadDirTree).
func (b *builder) loadDirTree(c object.Checksum) (object.DirTree, error) {
	if b.loose != nil {
		if dt, ok := b.loose.dirTree(c, &b.buf); ok {
			return dt, nil
		}
	}
	return b.src.LoadDirTree(b.ctx, c)
}

// validName is ot_util_filename_validate plus what an image can hold.
func validName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("invalid file name %q: %w", name, errdefs.ErrCorrupt)
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("invalid file name %q: %w", name, errdefs.ErrCorrupt)
	case len(name) > composefs.MaxNameLen:
		return fmt.Errorf("file name %.32q... longer than %d bytes: %w", name, composefs.MaxNameLen, errdefs.ErrCorrupt)
	}
	return nil
}

func join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// xattrs converts ostree xattrs (name with its NUL stripped, raw value)
// in their stored order.
func xattrs(xs object.Xattrs) []composefs.Xattr {
	if len(xs) == 0 {
		return nil
	}
	out := make([]composefs.Xattr, 0, len(xs))
	for _, x := range xs {
		out = append(out, composefs.Xattr{Key: x.Name, Value: append([]byte(nil), x.Value...)})
	}
	return out
}
