package diff

import (
	"context"
	"fmt"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/repo"
)

// Options tune a comparison.
type Options struct {
	// IgnoreXattrs leaves xattrs out of on-disk checksums. It is implied
	// when either side is a repository with xattrs disabled or in
	// bare-user-only mode.
	IgnoreXattrs bool
	// OwnerUID and OwnerGID, when not negative, replace the ownership of
	// the files on the second side (b) before comparing.
	OwnerUID, OwnerGID int
}

// Item is a path present on both sides with different content, mode,
// ownership, xattrs or type.
type Item struct {
	Src, Target Node
}

// Result lists the differences in the order libostree reports them.
type Result struct {
	Modified []Item
	Removed  []Node // present in a only
	Added    []Node // present in b only
}

type differ struct {
	ctx          context.Context
	opts         Options
	ignoreXattrs bool
	res          Result
}

// Dirs compares directory a against directory b as ostree_diff_dirs
// does: entries are matched by name, files by checksum (directories by
// dirmeta), and a subtree whose dirtree checksum is the same on both
// sides (two commits) is skipped.
func Dirs(ctx context.Context, a, b Node, opts Options) (*Result, error) {
	d := &differ{ctx: ctx, opts: opts, ignoreXattrs: opts.IgnoreXattrs || xattrsDisabled(a) || xattrsDisabled(b)}
	if err := d.dirs(a, b); err != nil {
		return nil, err
	}
	return &d.res, nil
}

func xattrsDisabled(n Node) bool {
	rn, ok := n.(*repoNode)
	return ok && (rn.r.Mode() == repo.ModeBareUserOnly || rn.r.ConfigBool("disable-xattrs", false))
}

func (d *differ) mustQuery(n Node) (info, error) {
	in, ok, err := n.query(d.ctx)
	if err != nil {
		return info{}, err
	}
	if !ok {
		if fn, isFs := n.(*fsNode); isFs {
			return info{}, fmt.Errorf("Error when getting information for file “%s”: No such file or directory: %w", fn.path, errdefs.ErrNotFound)
		}
		return info{}, fmt.Errorf("No such file or directory: %s: %w", n.Path(nil), errdefs.ErrNotFound)
	}
	return in, nil
}

func (d *differ) dirs(a, b Node) error {
	ra, aRepo := a.(*repoNode)
	rb, bRepo := b.(*repoNode)
	if aRepo && bRepo {
		if err := ra.resolve(d.ctx); err != nil {
			return err
		}
		if err := rb.resolve(d.ctx); err != nil {
			return err
		}
		if ra.exists && rb.exists && ra.entry.Dir && rb.entry.Dir && ra.entry.Tree == rb.entry.Tree {
			return nil
		}
	}
	if _, err := d.mustQuery(a); err != nil {
		return err
	}
	if _, err := d.mustQuery(b); err != nil {
		return err
	}

	kids, err := a.children(d.ctx)
	if err != nil {
		return err
	}
	for _, childA := range kids {
		if err := d.compareChild(childA, b); err != nil {
			return err
		}
	}

	kids, err = b.children(d.ctx)
	if err != nil {
		return err
	}
	for _, childB := range kids {
		isDir, ok, err := d.stat(childB)
		if err != nil {
			return err
		}
		if !ok {
			continue // vanished since it was listed
		}
		_, ok, err = d.stat(a.child(name(childB)))
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		d.res.Added = append(d.res.Added, childB)
		if isDir {
			if err := d.addAll(childB); err != nil {
				return err
			}
		}
	}
	return nil
}

// stat reports whether n exists and is a directory, reading no object
// for commit entries.
func (d *differ) stat(n Node) (isDir, ok bool, err error) {
	if rn, isRepo := n.(*repoNode); isRepo {
		if err := rn.resolve(d.ctx); err != nil {
			return false, false, err
		}
		return rn.exists && rn.entry.Dir, rn.exists, nil
	}
	in, ok, err := n.query(d.ctx)
	return in.kind == KindDirectory, ok, err
}

func name(n Node) string {
	switch n := n.(type) {
	case *repoNode:
		return n.name
	case *fsNode:
		return baseName(n.path)
	}
	return ""
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// compareChild compares a's entry childA with b's entry of that name.
func (d *differ) compareChild(childA, b Node) error {
	childB := b.child(name(childA))
	ra, aRepo := childA.(*repoNode)
	rb, bRepo := childB.(*repoNode)
	if aRepo && bRepo {
		// Two commits: checksums decide without reading any object.
		if err := rb.resolve(d.ctx); err != nil {
			return err
		}
		if !rb.exists {
			d.res.Removed = append(d.res.Removed, childA)
			return nil
		}
		switch {
		case ra.entry.Dir != rb.entry.Dir:
			d.res.Modified = append(d.res.Modified, Item{childA, childB})
		case !ra.entry.Dir:
			if ra.entry.Content != rb.entry.Content {
				d.res.Modified = append(d.res.Modified, Item{childA, childB})
			}
		default:
			if ra.entry.Meta != rb.entry.Meta {
				d.res.Modified = append(d.res.Modified, Item{childA, childB})
			}
			return d.dirs(childA, childB)
		}
		return nil
	}

	ai, ok, err := childA.query(d.ctx)
	if err != nil || !ok {
		return err // !ok: vanished since it was listed
	}
	bi, ok, err := childB.query(d.ctx)
	if err != nil {
		return err
	}
	if !ok {
		d.res.Removed = append(d.res.Removed, childA)
		return nil
	}
	if d.opts.OwnerUID >= 0 {
		bi.uid = uint32(d.opts.OwnerUID)
	}
	if d.opts.OwnerGID >= 0 {
		bi.gid = uint32(d.opts.OwnerGID)
	}
	if ai.kind != bi.kind {
		d.res.Modified = append(d.res.Modified, Item{childA, childB})
		return nil
	}
	ca, err := childA.checksum(d.ctx, ai, d.ignoreXattrs)
	if err != nil {
		return err
	}
	cb, err := childB.checksum(d.ctx, bi, d.ignoreXattrs)
	if err != nil {
		return err
	}
	if ca != cb {
		d.res.Modified = append(d.res.Modified, Item{childA, childB})
	}
	if ai.kind == KindDirectory {
		return d.dirs(childA, childB)
	}
	return nil
}

// addAll records everything below dir as added.
func (d *differ) addAll(dir Node) error {
	kids, err := dir.children(d.ctx)
	if err != nil {
		return err
	}
	for _, c := range kids {
		isDir, ok, err := d.stat(c)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		d.res.Added = append(d.res.Added, c)
		if isDir {
			if err := d.addAll(c); err != nil {
				return err
			}
		}
	}
	return nil
}
