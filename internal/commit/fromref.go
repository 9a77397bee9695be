package commit

import (
	"context"
	"fmt"

	"github.com/gostree/gostree/internal/object"
)

// AddCommit overlays the tree of commit c (--tree=ref=REV). Without a
// modifier, subtrees are taken over by checksum and only loaded where
// they merge with existing content; with one, every entry is filtered and
// rewritten.
func (b *Builder) AddCommit(ctx context.Context, c object.Checksum) error {
	b.startLayer()
	cm, err := b.repo.LoadCommit(ctx, c)
	if err != nil {
		return err
	}
	err = b.addRepoDir(ctx, b.root, cm.RootTree, cm.RootMeta, "/")
	if werr := b.wait(ctx); werr != nil {
		return werr
	}
	return err
}

// NewTreeFromCommit returns the lazy tree of commit c (--base).
func NewTreeFromCommit(ctx context.Context, loader interface {
	DirTreeLoader
	LoadCommit(ctx context.Context, c object.Checksum) (*object.Commit, error)
}, c object.Checksum) (*Tree, error) {
	cm, err := loader.LoadCommit(ctx, c)
	if err != nil {
		return nil, err
	}
	return newLazyTree(loader, cm.RootTree, cm.RootMeta), nil
}

func (b *Builder) addRepoDir(ctx context.Context, t *Tree, contents, meta object.Checksum, rel string) error {
	if b.failed() {
		return nil
	}
	if b.mod == nil {
		if t.fillEmptyFromDirTree(b.repo, contents, meta) {
			return nil
		}
		t.SetMetadata(meta)
	} else {
		dm, err := b.repo.LoadDirMeta(ctx, meta)
		if err != nil {
			return err
		}
		fi := FileInfo{UID: dm.UID, GID: dm.GID, Mode: dm.Mode}
		mfi, skip := b.mod.apply(b.mode, rel, fi)
		if skip {
			return nil
		}
		var x object.Xattrs
		if !b.mod.skipXattrs(b.mode) && !b.disableXattrs() {
			x = dm.Xattrs
		}
		m, err := b.writeDirMeta(ctx, mfi, x)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		t.SetMetadata(m)
	}
	dt, err := b.repo.LoadDirTree(ctx, contents)
	if err != nil {
		return err
	}
	for _, d := range dt.Dirs {
		childRel := joinRel(rel, d.Name)
		if b.mod != nil {
			dm, err := b.repo.LoadDirMeta(ctx, d.Meta)
			if err != nil {
				return err
			}
			if _, skip := b.mod.apply(b.mode, childRel, FileInfo{UID: dm.UID, GID: dm.GID, Mode: dm.Mode}); skip {
				continue
			}
		}
		sub, err := t.EnsureDir(ctx, d.Name)
		if err != nil {
			return err
		}
		if err := b.addRepoDir(ctx, sub, d.Tree, d.Meta, childRel); err != nil {
			return err
		}
	}
	for _, f := range dt.Files {
		if b.failed() {
			return nil
		}
		if err := b.addRepoFile(ctx, t, f.Name, f.Checksum, joinRel(rel, f.Name)); err != nil {
			return err
		}
	}
	return nil
}

// addRepoFile adds a file of a commit in a merged directory; it keeps
// its checksum unless the modifier (or bare-user-only canonicalization)
// changes its metadata.
func (b *Builder) addRepoFile(ctx context.Context, t *Tree, name string, c object.Checksum, rel string) error {
	h, err := b.objectHeader(ctx, c)
	if err != nil {
		return err
	}
	fi := FileInfo{UID: h.UID, GID: h.GID, Mode: h.Mode, Target: h.Target}
	mfi, skip := b.mod.apply(b.mode, rel, fi)
	if skip {
		return nil
	}
	var x object.Xattrs
	if !b.mod.skipXattrs(b.mode) && !b.disableXattrs() {
		x = h.Xattrs
	}
	nh := mfi.header(x)
	ref := &fileRef{csum: c}
	if err := t.replaceFile(ctx, name, ref); err != nil {
		return err
	}
	if headersEqual(nh, h) && !b.generatingSizes() {
		b.mu.Lock()
		b.stats.ContentTotal++
		b.mu.Unlock()
		return nil
	}
	b.goWork(0, func(ctx context.Context) error { return b.storeFromRepo(ctx, ref, c, nh, h) })
	return nil
}
