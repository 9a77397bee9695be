package commit

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
)

// emptyDirTree is the checksum of the empty dirtree.
var emptyDirTree = object.Sum(object.EmptyDirTree)

// fileRef is a content object's checksum. Workers fill it in while the
// tree is being built; it is read only after they have all finished.
// Hard links in archives share one fileRef.
type fileRef struct {
	csum object.Checksum
}

// DirTreeLoader loads dirtrees, to expand trees taken from a commit.
type DirTreeLoader interface {
	LoadDirTree(ctx context.Context, c object.Checksum) (object.DirTree, error)
}

// Tree is a mutable directory tree (libostree's OstreeMutableTree): files
// map to content checksums, subdirectories to trees, and the directory's
// own dirmeta checksum. A tree taken from a commit stays "lazy" (only its
// dirtree checksum known) until something changes inside it. A Tree is not
// safe for concurrent use.
type Tree struct {
	parent  *Tree
	meta    object.Checksum
	hasMeta bool
	files   map[string]*fileRef
	dirs    map[string]*Tree

	// contents is the dirtree checksum when known: for lazy trees, and
	// for trees already written and not changed since.
	contents    object.Checksum
	hasContents bool
	lazy        bool
	loader      DirTreeLoader
}

// NewTree returns an empty tree with no metadata.
func NewTree() *Tree {
	return &Tree{files: map[string]*fileRef{}, dirs: map[string]*Tree{}}
}

func newLazyTree(loader DirTreeLoader, contents, meta object.Checksum) *Tree {
	t := NewTree()
	t.lazy, t.loader = true, loader
	t.contents, t.hasContents = contents, true
	t.meta, t.hasMeta = meta, true
	return t
}

// Metadata returns the dirmeta checksum, if set.
func (t *Tree) Metadata() (object.Checksum, bool) { return t.meta, t.hasMeta }

// SetMetadata sets the directory's dirmeta checksum.
func (t *Tree) SetMetadata(c object.Checksum) {
	if t.hasMeta && t.meta == c {
		return
	}
	t.parent.invalidate()
	t.meta, t.hasMeta = c, true
}

// invalidate forgets the dirtree checksums of t and its ancestors.
func (t *Tree) invalidate() {
	for x := t; x != nil && x.hasContents; x = x.parent {
		x.hasContents = false
	}
}

// makeWhole loads a lazy tree's entries.
func (t *Tree) makeWhole(ctx context.Context) error {
	if !t.lazy {
		return nil
	}
	dt, err := t.loader.LoadDirTree(ctx, t.contents)
	if err != nil {
		return err
	}
	for _, f := range dt.Files {
		t.files[f.Name] = &fileRef{csum: f.Checksum}
	}
	for _, d := range dt.Dirs {
		sub := newLazyTree(t.loader, d.Tree, d.Meta)
		sub.parent = t
		t.dirs[d.Name] = sub
	}
	t.lazy, t.loader = false, nil
	return nil
}

// EnsureDir returns the subdirectory name, creating an empty one if
// needed. A file of that name is an error.
func (t *Tree) EnsureDir(ctx context.Context, name string) (*Tree, error) {
	if err := object.ValidateFilename(name); err != nil {
		return nil, err
	}
	if err := t.makeWhole(ctx); err != nil {
		return nil, err
	}
	if _, ok := t.files[name]; ok {
		return nil, fmt.Errorf("Can't replace file with directory: %s", name)
	}
	sub, ok := t.dirs[name]
	if !ok {
		sub = NewTree()
		sub.parent = t
		t.invalidate()
		t.dirs[name] = sub
	}
	return sub, nil
}

// ReplaceFile sets the file name to ref. A directory of that name is an
// error.
func (t *Tree) replaceFile(ctx context.Context, name string, ref *fileRef) error {
	if err := object.ValidateFilename(name); err != nil {
		return err
	}
	if err := t.makeWhole(ctx); err != nil {
		return err
	}
	if _, ok := t.dirs[name]; ok {
		return fmt.Errorf("Can't replace directory with file: %s", name)
	}
	t.invalidate()
	t.files[name] = ref
	return nil
}

// ReplaceFile sets the file name to the content object c.
func (t *Tree) ReplaceFile(ctx context.Context, name string, c object.Checksum) error {
	return t.replaceFile(ctx, name, &fileRef{csum: c})
}

// Remove deletes the file or directory name.
func (t *Tree) Remove(ctx context.Context, name string, allowNoent bool) error {
	if err := t.makeWhole(ctx); err != nil {
		return err
	}
	if _, ok := t.files[name]; ok {
		delete(t.files, name)
	} else if _, ok := t.dirs[name]; ok {
		delete(t.dirs, name)
	} else if !allowNoent {
		return noent(name)
	} else {
		return nil
	}
	t.invalidate()
	return nil
}

func noent(name string) error {
	return fmt.Errorf("No such file or directory: %s: %w", name, errdefs.ErrNotFound)
}

// lookup returns the file or the directory called name.
func (t *Tree) lookup(ctx context.Context, name string) (*fileRef, *Tree, error) {
	if err := t.makeWhole(ctx); err != nil {
		return nil, nil, err
	}
	if sub, ok := t.dirs[name]; ok {
		return nil, sub, nil
	}
	if f, ok := t.files[name]; ok {
		return f, nil, nil
	}
	return nil, nil, noent(name)
}

// walk returns the directory holding the last of components (libostree's
// ostree_mutable_tree_walk).
func (t *Tree) walk(ctx context.Context, components []string) (*Tree, error) {
	x := t
	for i := 0; i+1 < len(components); i++ {
		if err := x.makeWhole(ctx); err != nil {
			return nil, err
		}
		sub, ok := x.dirs[components[i]]
		if !ok {
			return nil, noent(components[i])
		}
		x = sub
	}
	return x, nil
}

// isEmpty reports whether a non-lazy tree has no entries.
func (t *Tree) isEmpty() bool { return len(t.files) == 0 && len(t.dirs) == 0 }

// fillEmptyFromDirTree makes t the lazy tree (contents, meta) when t has
// no entries (or is lazy with the same or empty contents) and reports
// whether it did; otherwise the caller merges entry by entry.
func (t *Tree) fillEmptyFromDirTree(loader DirTreeLoader, contents, meta object.Checksum) bool {
	if t.lazy {
		switch {
		case t.contents == contents || t.contents == emptyDirTree:
		case contents == emptyDirTree:
			contents = t.contents // adding an empty tree to a full one
		default:
			return false
		}
	} else if !t.isEmpty() {
		return false
	}
	t.lazy, t.loader = true, loader
	t.SetMetadata(meta)
	if !t.hasContents || t.contents != contents {
		t.invalidate()
		t.contents, t.hasContents = contents, true
	}
	return true
}

// errEmptyTree is returned when the root (or a directory) never got
// metadata, e.g. nothing was committed.
var errEmptyTree = errors.New("Can't commit an empty tree")

// metaWriter stores dirtree objects for Tree.write.
type metaWriter interface {
	writeDirTree(ctx context.Context, data []byte) (object.Checksum, error)
}

// write stores the dirtrees of t bottom-up and returns t's dirtree
// checksum. Content refs must be final.
func (t *Tree) write(ctx context.Context, w metaWriter) (object.Checksum, error) {
	if !t.hasMeta {
		return object.Checksum{}, errEmptyTree
	}
	if t.hasContents {
		return t.contents, nil
	}
	var dt object.DirTree
	dt.Files = make([]object.TreeFile, 0, len(t.files))
	for name, f := range t.files {
		dt.Files = append(dt.Files, object.TreeFile{Name: name, Checksum: f.csum})
	}
	sort.Slice(dt.Files, func(i, j int) bool { return dt.Files[i].Name < dt.Files[j].Name })
	dt.Dirs = make([]object.TreeDir, 0, len(t.dirs))
	for name, sub := range t.dirs {
		c, err := sub.write(ctx, w)
		if err != nil {
			return object.Checksum{}, err
		}
		dt.Dirs = append(dt.Dirs, object.TreeDir{Name: name, Tree: c, Meta: sub.meta})
	}
	sort.Slice(dt.Dirs, func(i, j int) bool { return dt.Dirs[i].Name < dt.Dirs[j].Name })
	c, err := w.writeDirTree(ctx, object.MarshalDirTree(dt))
	if err != nil {
		return object.Checksum{}, err
	}
	t.contents, t.hasContents = c, true
	return c, nil
}
