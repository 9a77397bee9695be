package pull

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsck"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/summary"
)

var _ fsck.ObjectStore = Source(nil)

// Options configure a pull.
type Options struct {
	// Refs are the refs (or commit checksums) to pull; empty pulls every
	// ref the source lists.
	Refs []string
	// Remote, when set, makes the pulled refs remote refs
	// (refs/remotes/REMOTE/NAME) instead of local ones.
	Remote string
	// Depth is how many parent commits to pull: 0 none, -1 all.
	Depth int
	// CommitOnly pulls commit objects (and detached metadata) only; the
	// commits stay marked partial.
	CommitOnly bool
	// Untrusted verifies every object, including those hard-linked from
	// a local source (which are otherwise trusted, as libostree does);
	// objects that are copied are always verified.
	Untrusted bool
	// DisableVerifyBindings skips checking the commits' ref and
	// collection bindings.
	DisableVerifyBindings bool
	// BareUserOnlyFiles rejects regular files whose mode has bits outside
	// 0775.
	BareUserOnlyFiles bool
	// Concurrency bounds parallel imports; 0 means NumCPU.
	Concurrency int
}

// Stats counts what a pull imported.
type Stats struct {
	MetadataImported int
	ContentImported  int
	// ContentBytesWritten is the payload size of content objects written
	// (not hard-linked).
	ContentBytesWritten int64
}

type wanted struct {
	ref    string // "" when pulling a commit by checksum
	commit object.Checksum
}

type puller struct {
	dst  *repo.Repo
	src  Source
	txn  *repo.Txn
	opts Options
	link Linker // nil when every object is copied

	mu          sync.Mutex
	claimed     map[object.Name]bool
	commitDepth map[object.Checksum]int // parent commits queued, with their remaining depth
	imported    []object.Checksum       // commits imported

	metaImported    atomic.Int64
	contentImported atomic.Int64
}

// Pull copies the requested refs' commits, to the requested depth, and
// the objects they need from src into dst, then updates the refs.
func Pull(ctx context.Context, dst *repo.Repo, src Source, opts Options) (Stats, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = runtime.NumCPU()
	}
	want, err := resolve(ctx, src, opts.Refs)
	if err != nil {
		return Stats{}, err
	}
	txn, err := dst.Begin(ctx)
	if err != nil {
		return Stats{}, err
	}
	defer txn.Abort()
	p := &puller{
		dst: dst, src: src, txn: txn, opts: opts,
		claimed:     map[object.Name]bool{},
		commitDepth: map[object.Checksum]int{},
	}
	if l, ok := src.(Linker); ok && l.LinkableTo(dst) {
		p.link = l
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Concurrency)
	var scanErr error
	for _, w := range want {
		if scanErr = p.scanCommit(gctx, g, w.commit, w.ref); scanErr != nil {
			break
		}
	}
	werr := g.Wait()
	if scanErr != nil {
		return Stats{}, scanErr
	}
	if werr != nil {
		return Stats{}, werr
	}

	setRefs := false
	for _, w := range want {
		if w.ref != "" {
			c := w.commit
			txn.SetRef(opts.Remote, w.ref, &c)
			setRefs = true
		}
	}
	if err := txn.Commit(ctx); err != nil {
		return Stats{}, err
	}
	if setRefs {
		// As libostree's commit_transaction, follow ref changes in the
		// summary when core.auto-update-summary is set.
		if err := summary.MaybeRegenerate(ctx, dst); err != nil {
			return Stats{}, err
		}
	}
	// A commit pulled again replaces the tombstone its deletion left.
	for _, c := range p.imported {
		err := dst.RemoveObject(ctx, c, object.TypeTombstoneCommit)
		if err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return Stats{}, err
		}
	}
	if !opts.CommitOnly {
		for _, w := range want {
			if err := dst.ClearPartial(w.commit); err != nil {
				return Stats{}, err
			}
		}
		for c := range p.commitDepth {
			if err := dst.ClearPartial(c); err != nil {
				return Stats{}, err
			}
		}
	}
	return Stats{
		MetadataImported:    int(p.metaImported.Load()),
		ContentImported:     int(p.contentImported.Load()),
		ContentBytesWritten: txn.Stats().ContentBytes,
	}, nil
}

// resolve turns the requested refs into commits, or lists the source's
// refs when none are requested.
func resolve(ctx context.Context, src Source, refs []string) ([]wanted, error) {
	var out []wanted
	if len(refs) == 0 {
		list, err := src.ListRefs(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range list {
			if err := ref.ValidateRef(r.Name); err != nil {
				return nil, fmt.Errorf("Invalid ref name %s: %w", r.Name, errdefs.ErrInvalid)
			}
			out = append(out, wanted{r.Name, r.Checksum})
		}
		return out, nil
	}
	for _, name := range refs {
		if object.IsChecksumString(name) {
			c, _ := object.ParseChecksum(name)
			out = append(out, wanted{"", c})
			continue
		}
		if err := ref.ValidateRef(name); err != nil {
			return nil, fmt.Errorf("Invalid ref name %s: %w", name, errdefs.ErrInvalid)
		}
		c, err := src.ResolveRef(ctx, name)
		if err != nil {
			if errors.Is(err, errdefs.ErrNotFound) {
				return nil, fmt.Errorf("Refspec '%s' not found: %w", name, errdefs.ErrNotFound)
			}
			return nil, err
		}
		out = append(out, wanted{name, c})
	}
	return out, nil
}

// claim marks n as handled and reports whether the caller is the first.
func (p *puller) claim(n object.Name) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.claimed[n] {
		return false
	}
	p.claimed[n] = true
	return true
}

func spawn(g *errgroup.Group, fn func() error) error {
	if g.TryGo(fn) {
		return nil
	}
	return fn()
}

// scanCommit pulls commit c and, depth permitting, its parents; the trees
// of commits that are (or become) partial are scanned in the background.
func (p *puller) scanCommit(ctx context.Context, g *errgroup.Group, c object.Checksum, refName string) error {
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
		var b []byte
		if !stored {
			// Marked first, so an interrupted pull rescans the tree.
			if err := p.dst.MarkPartial(c, false); err != nil {
				return err
			}
			b, err = p.src.LoadMetadata(ctx, c, object.TypeCommit)
			if errors.Is(err, errdefs.ErrNotFound) && isParent && p.opts.Depth != 0 {
				// Histories may end at a commit the source lacks.
				return p.dst.ClearPartial(c)
			}
			if err != nil {
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
		if err := p.copyDetached(ctx, c, stored); err != nil {
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
		st, err := p.dst.CommitState(c)
		if err != nil {
			return err
		}
		if st.Partial && !p.opts.CommitOnly {
			root, meta := cm.RootTree, cm.RootMeta
			if err := spawn(g, func() error { return p.scanDirTree(ctx, g, root) }); err != nil {
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

// copyDetached brings the source's detached metadata of commit c; for a
// commit already stored it is refreshed, as signatures may have been
// added.
func (p *puller) copyDetached(ctx context.Context, c object.Checksum, stored bool) error {
	b, err := p.src.LoadDetachedMetadata(ctx, c)
	if err != nil || b == nil {
		return err
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

// importMetadata verifies b against n and stages it, by hard link when
// the source allows.
func (p *puller) importMetadata(ctx context.Context, n object.Name, b []byte) error {
	if got := object.Sum(b); got != n.Checksum {
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
	b, err := p.src.LoadMetadata(ctx, c, n.Type)
	if err != nil {
		return err
	}
	if err := p.importMetadata(ctx, n, b); err != nil {
		return err
	}
	p.metaImported.Add(1)
	return nil
}

func (p *puller) scanDirTree(ctx context.Context, g *errgroup.Group, c object.Checksum) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n := object.Name{Checksum: c, Type: object.TypeDirTree}
	if !p.claim(n) {
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
		b, err = p.src.LoadMetadata(ctx, c, n.Type)
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
		fn := object.Name{Checksum: f.Checksum, Type: object.TypeFile}
		if !p.claim(fn) {
			continue
		}
		has, err := p.txn.HasObject(ctx, f.Checksum, object.TypeFile)
		if err != nil {
			return err
		}
		if has {
			continue
		}
		fc := f.Checksum
		if err := spawn(g, func() error { return p.importContent(ctx, fc) }); err != nil {
			return err
		}
	}
	for _, d := range dt.Dirs {
		if err := p.scanDirMeta(ctx, d.Meta); err != nil {
			return err
		}
		tree := d.Tree
		if err := spawn(g, func() error { return p.scanDirTree(ctx, g, tree) }); err != nil {
			return err
		}
	}
	return nil
}

// importContent stages content object c: a hard link when allowed,
// otherwise the object read from the source and rewritten in the
// destination's mode, verified against c.
func (p *puller) importContent(ctx context.Context, c object.Checksum) error {
	n := object.Name{Checksum: c, Type: object.TypeFile}
	p.contentImported.Add(1)
	if p.link != nil && !p.opts.BareUserOnlyFiles {
		if path, ok := p.link.LinkPath(n, p.dst.Mode()); ok {
			// Linking skips the rewrite that verifies, so an untrusted
			// source's object is rehashed first.
			if p.opts.Untrusted {
				if err := fsck.VerifyObject(ctx, p.src, n); err != nil {
					return err
				}
			}
			linked, err := p.txn.LinkObject(ctx, n, path)
			if err != nil || linked {
				return err
			}
		}
	}
	h, rc, size, err := p.src.LoadFile(ctx, c)
	if err != nil {
		return fmt.Errorf("importing %s: %w", n, err)
	}
	defer rc.Close()
	if p.opts.BareUserOnlyFiles && h.Mode&object.ModeFmt == object.ModeReg {
		if bad := h.Mode &^ object.ModeFmt &^ 0o775; bad != 0 {
			return fmt.Errorf("Content object %s: invalid mode 0%04o with bits 0%04o: %w", c, h.Mode, bad, errdefs.ErrInvalid)
		}
	}
	if _, err := p.txn.WriteFileVerified(ctx, c, h, size, rc); err != nil {
		return fmt.Errorf("importing %s: %w", n, err)
	}
	return nil
}
