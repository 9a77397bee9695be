package repo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
)

// TreeEntry is one node of a commit's tree, as the read-side commands
// (ls, cat, checkout --subpath, export --subpath, diff) address it.
type TreeEntry struct {
	// Path is the absolute path libostree prints for the node: "/" for
	// the root, "/baz/cow" below it.
	Path string
	// Name is the last path element; empty for the root.
	Name string
	// Dir reports a directory; Tree and Meta are then set. Otherwise the
	// node is a file named by Content.
	Dir     bool
	Tree    object.Checksum
	Meta    object.Checksum
	Content object.Checksum
}

// ErrNotDirectory reports a path that descends through a file.
var ErrNotDirectory = errors.New("Not a directory")

// CommitRoot returns the root directory of a commit.
func (r *Repo) CommitRoot(ctx context.Context, commit object.Checksum) (TreeEntry, error) {
	c, err := r.LoadCommit(ctx, commit)
	if err != nil {
		return TreeEntry{}, err
	}
	return TreeEntry{Path: "/", Dir: true, Tree: c.RootTree, Meta: c.RootMeta}, nil
}

// Child returns the entry for name in dir's dirtree t. ok is false when
// there is no such entry.
func (e TreeEntry) Child(t object.DirTree, name string) (TreeEntry, bool) {
	p := childPath(e.Path, name)
	if i := sort.Search(len(t.Files), func(i int) bool { return t.Files[i].Name >= name }); i < len(t.Files) && t.Files[i].Name == name {
		return TreeEntry{Path: p, Name: name, Content: t.Files[i].Checksum}, true
	}
	if i := sort.Search(len(t.Dirs), func(i int) bool { return t.Dirs[i].Name >= name }); i < len(t.Dirs) && t.Dirs[i].Name == name {
		return TreeEntry{Path: p, Name: name, Dir: true, Tree: t.Dirs[i].Tree, Meta: t.Dirs[i].Meta}, true
	}
	return TreeEntry{}, false
}

// Children lists dir's entries in libostree's order: files, then
// directories, each sorted by name.
func (e TreeEntry) Children(t object.DirTree) []TreeEntry {
	out := make([]TreeEntry, 0, len(t.Files)+len(t.Dirs))
	for _, f := range t.Files {
		out = append(out, TreeEntry{Path: childPath(e.Path, f.Name), Name: f.Name, Content: f.Checksum})
	}
	for _, d := range t.Dirs {
		out = append(out, TreeEntry{Path: childPath(e.Path, d.Name), Name: d.Name, Dir: true, Tree: d.Tree, Meta: d.Meta})
	}
	return out
}

func childPath(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

// ResolvePath finds rel below root (a commit root) exactly as libostree's
// GFile resolution does: a leading "/" starts from the root, "a//b"
// restarts at the root, a trailing "/" names an empty (missing) child,
// and "." or ".." are ordinary names that never match. Errors are
// "No such file or directory: PATH" (errdefs.ErrNotFound) and
// ErrNotDirectory.
func (r *Repo) ResolvePath(ctx context.Context, root TreeEntry, rel string) (TreeEntry, error) {
	cur := root
	for _, name := range splitTreePath(rel) {
		if !cur.Dir {
			return TreeEntry{}, ErrNotDirectory
		}
		t, err := r.LoadDirTree(ctx, cur.Tree)
		if err != nil {
			return TreeEntry{}, err
		}
		next, ok := cur.Child(t, name)
		if !ok {
			return TreeEntry{}, fmt.Errorf("No such file or directory: %s: %w", childPath(cur.Path, name), errdefs.ErrNotFound)
		}
		cur = next
	}
	return cur, nil
}

// splitTreePath turns rel into the names g_file_resolve_relative_path
// descends through from the root.
func splitTreePath(rel string) []string {
	var names []string
	atRoot := true
	for {
		if strings.HasPrefix(rel, "/") {
			if rel == "/" {
				return nil
			}
			if !atRoot {
				// An absolute path below the root restarts at the root
				// with the first slash removed.
				names, atRoot = nil, true
				rel = rel[1:]
				continue
			}
			rel = rel[1:]
		}
		i := strings.IndexByte(rel, '/')
		if i < 0 {
			return append(names, rel)
		}
		names = append(names, rel[:i])
		atRoot = false
		rel = rel[i+1:]
	}
}
