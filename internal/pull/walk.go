package pull

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsck"
	"github.com/gostree/gostree/internal/object"
)

// loadMetadata reads a metadata object from the local caches or the
// source.
func (p *puller) loadMetadata(ctx context.Context, c object.Checksum, t object.Type) ([]byte, error) {
	p.opts.Progress.metadataRequested()
	b, err := p.loadMetadataFrom(ctx, c, t)
	if err == nil {
		p.opts.Progress.metadataFetched()
	}
	return b, err
}

func (p *puller) loadMetadataFrom(ctx context.Context, c object.Checksum, t object.Type) ([]byte, error) {
	for _, cr := range p.opts.LocalCaches {
		if ok, err := cr.HasObject(ctx, c, t); err != nil || !ok {
			continue
		}
		b, err := cr.LoadMetadata(ctx, c, t)
		if err == nil && object.Sum(b) == c {
			p.metaLocal.Add(1)
			return b, nil
		}
	}
	return p.src.LoadMetadata(ctx, c, t)
}

// scanCommit pulls commit c and, depth permitting, its parents; the trees
// of commits that are (or become) partial are scanned in the background.
func (p *puller) scanCommit(ctx context.Context, c object.Checksum, refName string) error {
	for {
		name := object.Name{Checksum: c, Type: object.TypeCommit}
		if !p.claim(name) {
			return nil
		}
		p.mu.Lock()
		depth, isParent := p.commitDepth[c]
		p.mu.Unlock()
		if !isParent {
			depth = p.opts.Depth
		}
		stored, err := p.txn.HasObject(ctx, c, object.TypeCommit)
		if err != nil {
			return err
		}
		// Detached metadata comes first, as libostree fetches it, so
		// that signatures are checked before the commit is written; for
		// a stored commit it is refreshed, as signatures may have been
		// added.
		var detached []byte
		if !p.deltas.fromDelta(c) { // a delta brought it already
			p.opts.Progress.metadataRequested()
			if detached, err = p.src.LoadDetachedMetadata(ctx, c); err != nil {
				return err
			}
			p.opts.Progress.metadataFetched()
		}
		var b []byte
		if !stored {
			b, err = p.loadMetadata(ctx, c, object.TypeCommit)
			if errors.Is(err, errdefs.ErrNotFound) && isParent && p.opts.Depth != 0 {
				// Histories may end at a commit the source lacks; one
				// deleted on purpose left a tombstone, which is kept.
				return p.copyTombstone(ctx, c)
			}
			if err != nil {
				return err
			}
			if got := object.Sum(b); got != c && !p.trusted() {
				return fmt.Errorf("Corrupted commit object; checksum expected='%s' actual='%s': %w", c, got, errdefs.ErrCorrupt)
			}
			if p.opts.VerifyCommit != nil {
				if err := p.opts.VerifyCommit(ctx, c, b, detached); err != nil {
					return err
				}
			}
			// Marked before the commit is published, so that an
			// interrupted pull rescans the tree.
			if err := p.dst.MarkPartial(c, false); err != nil {
				return err
			}
			if err := p.importMetadata(ctx, name, b); err != nil {
				return err
			}
			p.metaImported.Add(1)
			p.mu.Lock()
			p.imported = append(p.imported, c)
			p.mu.Unlock()
		} else if b, err = p.dst.LoadMetadata(ctx, c, object.TypeCommit); err != nil {
			return err
		}
		// A stored commit's signatures are replaced only once the new
		// ones verify: a failed pull keeps what was there.
		if stored && p.opts.VerifyCommit != nil {
			d := detached
			if d == nil {
				if d, err = p.dst.LoadMetadata(ctx, c, object.TypeCommitMeta); errors.Is(err, errdefs.ErrNotFound) {
					d = nil
				} else if err != nil {
					return err
				}
			}
			if err := p.opts.VerifyCommit(ctx, c, b, d); err != nil {
				return err
			}
		}
		if err := p.copyDetached(ctx, c, stored, detached); err != nil {
			return err
		}
		cm, err := object.UnmarshalCommit(b)
		if err != nil {
			return fmt.Errorf("commit %s: %w: %v", c, errdefs.ErrCorrupt, err)
		}
		if !p.opts.DisableVerifyBindings {
			if err := fsck.VerifyBindings(p.src.CollectionID(), refName, cm.Metadata); err != nil {
				return fmt.Errorf("Commit %s: %v: %w", c, err, errdefs.ErrInvalid)
			}
		}
		if err := p.checkTimestamp(ctx, c, cm, refName, isParent); err != nil {
			return err
		}
		st, err := p.dst.CommitState(c)
		if err != nil {
			return err
		}
		if st.Partial && !p.opts.CommitOnly {
			root, meta := cm.RootTree, cm.RootMeta
			if err := p.spawnMeta(func() error { return p.scanDirTree(ctx, root, "/") }); err != nil {
				return err
			}
			if err := p.scanDirMeta(ctx, meta); err != nil {
				return err
			}
		}
		if cm.Parent.IsZero() || !(p.opts.Depth == -1 || depth > 0) {
			return nil
		}
		pd := -1
		if depth > 0 {
			pd = depth - 1
		}
		p.mu.Lock()
		p.commitDepth[cm.Parent] = pd
		p.mu.Unlock()
		c, refName = cm.Parent, ""
	}
}

// TombstoneSource is implemented by sources that can say whether they
// keep tombstones for deleted commits (core.tombstone-commits).
type TombstoneSource interface {
	TombstoneCommits() bool
}

// copyTombstone stores the source's tombstone of the deleted commit c,
// when it keeps them.
func (p *puller) copyTombstone(ctx context.Context, c object.Checksum) error {
	ts, ok := p.src.(TombstoneSource)
	if !ok || !ts.TombstoneCommits() {
		return nil
	}
	b, err := p.src.LoadMetadata(ctx, c, object.TypeTombstoneCommit)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return p.txn.WriteMetadataAs(ctx, c, object.TypeTombstoneCommit, b)
}

// copyDetached stores the source's detached metadata b of commit c; for
// a commit already stored it replaces what changed.
func (p *puller) copyDetached(ctx context.Context, c object.Checksum, stored bool, b []byte) error {
	if b == nil {
		return nil
	}
	if !stored {
		return p.txn.WriteMetadataAs(ctx, c, object.TypeCommitMeta, b)
	}
	old, err := p.dst.LoadMetadata(ctx, c, object.TypeCommitMeta)
	if err == nil && bytes.Equal(old, b) {
		return nil
	}
	md, err := object.UnmarshalMetadata(b)
	if err != nil {
		return fmt.Errorf("detached metadata of %s: %w: %v", c, errdefs.ErrCorrupt, err)
	}
	return p.dst.WriteDetachedMetadata(ctx, c, md)
}

// trusted reports a local source whose objects are taken without
// verification, as libostree's trusted imports do (pull-local without
// --untrusted).
func (p *puller) trusted() bool {
	_, local := p.src.(Linker)
	return local && !p.opts.Untrusted
}

// importMetadata verifies b against n and stages it, by hard link when
// the source allows.
func (p *puller) importMetadata(ctx context.Context, n object.Name, b []byte) error {
	if got := object.Sum(b); got != n.Checksum && !p.trusted() {
		return fmt.Errorf("Corrupted %s object; checksum expected='%s' actual='%s': %w", n.Type, n.Checksum, got, errdefs.ErrCorrupt)
	}
	if p.opts.Untrusted {
		if err := fsck.ValidateMetadata(n, b); err != nil {
			return err
		}
	}
	if p.link != nil {
		if path, ok := p.link.LinkPath(n, p.dst.Mode()); ok {
			linked, err := p.txn.LinkObject(ctx, n, path)
			if err != nil || linked {
				return err
			}
		}
	}
	return p.txn.WriteMetadataAs(ctx, n.Checksum, n.Type, b)
}

func (p *puller) scanDirMeta(ctx context.Context, c object.Checksum) error {
	n := object.Name{Checksum: c, Type: object.TypeDirMeta}
	if !p.claim(n) {
		return nil
	}
	stored, err := p.txn.HasObject(ctx, c, n.Type)
	if err != nil || stored {
		return err
	}
	b, err := p.loadMetadata(ctx, c, n.Type)
	if err != nil {
		return err
	}
	if err := p.importMetadata(ctx, n, b); err != nil {
		return err
	}
	p.metaImported.Add(1)
	return nil
}

// scanDirTree pulls dirtree c, found at path ("/" for the root, else
// ending in "/"), and queues what it lacks.
func (p *puller) scanDirTree(ctx context.Context, c object.Checksum, path string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n := object.Name{Checksum: c, Type: object.TypeDirTree}
	// With subpaths the same tree may be scanned under several paths
	// with different filters, so only whole-tree pulls deduplicate.
	if len(p.opts.Subpaths) == 0 && !p.claim(n) {
		return nil
	}
	stored, err := p.txn.HasObject(ctx, c, n.Type)
	if err != nil {
		return err
	}
	var b []byte
	if stored {
		b, err = p.dst.LoadMetadata(ctx, c, n.Type)
	} else {
		b, err = p.loadMetadata(ctx, c, n.Type)
	}
	if err != nil {
		return err
	}
	if !stored {
		if err := p.importMetadata(ctx, n, b); err != nil {
			return err
		}
		p.metaImported.Add(1)
	}
	dt, err := object.UnmarshalDirTree(b)
	if err != nil {
		return fmt.Errorf("Validating dirtree %s: %v: %w", c, err, errdefs.ErrCorrupt)
	}
	for _, f := range dt.Files {
		if !p.matchesSubpath(path, f.Name, false) {
			continue
		}
		fn := object.Name{Checksum: f.Checksum, Type: object.TypeFile}
		if !p.claim(fn) {
			continue
		}
		has, err := p.txn.HasObject(ctx, f.Checksum, object.TypeFile)
		if err != nil {
			return err
		}
		if has {
			// Stored or staged: the file system remembers it.
			p.unclaim(fn)
			continue
		}
		p.opts.Progress.contentRequested()
		p.content.push(f.Checksum)
	}
	for _, d := range dt.Dirs {
		if !p.matchesSubpath(path, d.Name, true) {
			continue
		}
		if err := p.scanDirMeta(ctx, d.Meta); err != nil {
			return err
		}
		tree, sub := d.Tree, path+d.Name+"/"
		if err := p.spawnMeta(func() error { return p.scanDirTree(ctx, tree, sub) }); err != nil {
			return err
		}
	}
	return nil
}

// matchesSubpath is libostree's pull_matches_subdir: an entry is pulled
// when it lies under a requested subpath, or is a directory leading to
// one, or is the subpath itself.
func (p *puller) matchesSubpath(path, name string, isDir bool) bool {
	if len(p.opts.Subpaths) == 0 {
		return true
	}
	file := path + name
	for _, want := range p.opts.Subpaths {
		if rest, ok := strings.CutPrefix(want, file); ok {
			if rest == "" || (rest[0] == '/' && isDir) {
				return true
			}
			continue
		}
		if rest, ok := strings.CutPrefix(file, want); ok && rest != "" && rest[0] == '/' {
			return true
		}
	}
	return false
}
