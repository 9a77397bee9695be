package pull

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
	// Overrides pins refs to commits (`REF@COMMIT`): such a ref is not
	// looked up in the source.
	Overrides map[string]object.Checksum
	// Remote, when set, makes the pulled refs remote refs
	// (refs/remotes/REMOTE/NAME) instead of local ones.
	Remote string
	// Mirror writes the refs as local refs (refs/heads, or refs/mirrors
	// for refs of a collection other than the repository's) even when
	// Remote is set.
	Mirror bool
	// Depth is how many parent commits to pull: 0 none, -1 all.
	Depth int
	// CommitOnly pulls commit objects (and detached metadata) only; the
	// commits stay marked partial.
	CommitOnly bool
	// Subpaths restricts the pull to these absolute paths of the trees
	// (and the directories leading to them); the commits stay partial.
	Subpaths []string
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
	// TimestampCheck refuses a commit older than the one the ref
	// currently names; TimestampCheckFrom refuses commits older than
	// that commit.
	TimestampCheck     bool
	TimestampCheckFrom *object.Checksum
	// VerifyCommit, when set, checks each commit before it is written
	// (and each stored commit before it is scanned): commit is its
	// verified bytes and detached its detached metadata (nil for none).
	// Signature verification hooks in here.
	VerifyCommit func(ctx context.Context, c object.Checksum, commit, detached []byte) error
	// LocalCaches are repositories searched for objects before the
	// source (`--localcache-repo`); what they give is verified.
	LocalCaches []*repo.Repo
	// KeepOnError publishes the objects already written and verified
	// when the pull fails, so that the next pull fetches only what is
	// missing; their commits stay marked partial and no ref moves.
	KeepOnError bool
	// Concurrency bounds parallel metadata scans; 0 means NumCPU.
	Concurrency int
	// ContentConcurrency bounds parallel content imports; 0 means
	// Concurrency.
	ContentConcurrency int
}

// Stats counts what a pull imported.
type Stats struct {
	MetadataImported int
	ContentImported  int
	// MetadataLocal and ContentLocal count objects taken from
	// LocalCaches.
	MetadataLocal int
	ContentLocal  int
	// ContentBytesWritten is the payload size of content objects written
	// (not hard-linked).
	ContentBytesWritten int64
	// RefsChanged counts the refs that moved.
	RefsChanged int
}

type wanted struct {
	ref        string // "" when pulling a commit by checksum
	commit     object.Checksum
	collection string // the ref's collection, when the source knows it
}

type puller struct {
	dst  *repo.Repo
	src  Source
	txn  *repo.Txn
	opts Options
	link Linker // nil when every object is copied

	g       *errgroup.Group
	metaSem chan struct{}
	metaWG  sync.WaitGroup
	content *workQueue

	mu          sync.Mutex
	claimed     map[object.Name]bool
	commitDepth map[object.Checksum]int // parent commits queued, with their remaining depth
	imported    []object.Checksum       // commits imported

	metaImported    atomic.Int64
	contentImported atomic.Int64
	metaLocal       atomic.Int64
	contentLocal    atomic.Int64
}

// Pull copies the requested refs' commits, to the requested depth, and
// the objects they need from src into dst, then updates the refs.
func Pull(ctx context.Context, dst *repo.Repo, src Source, opts Options) (Stats, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = runtime.NumCPU()
	}
	if opts.ContentConcurrency <= 0 {
		opts.ContentConcurrency = opts.Concurrency
	}
	want, err := resolve(ctx, src, opts)
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
		metaSem:     make(chan struct{}, opts.Concurrency),
		content:     newWorkQueue(),
	}
	if l, ok := src.(Linker); ok && l.LinkableTo(dst) {
		p.link = l
	}
	if err := p.run(ctx, want); err != nil {
		if opts.KeepOnError {
			// Everything staged was verified; publishing it lets the
			// next pull resume. The commits stay partial.
			txn.Commit(context.WithoutCancel(ctx))
		}
		return Stats{}, err
	}

	changed := 0
	var mirrorRefs []wanted
	for _, w := range want {
		if w.ref == "" {
			continue
		}
		remote := opts.Remote
		if opts.Mirror {
			remote = ""
			if w.collection != "" && w.collection != dst.CollectionID() {
				mirrorRefs = append(mirrorRefs, w)
				continue
			}
		}
		if cur, ok := currentRef(dst, remote, w.ref); ok && cur == w.commit {
			continue
		}
		c := w.commit
		txn.SetRef(remote, w.ref, &c)
		changed++
	}
	if err := txn.Commit(ctx); err != nil {
		return Stats{}, err
	}
	for _, w := range mirrorRefs {
		if cur, ok := currentMirrorRef(dst, w.collection, w.ref); ok && cur == w.commit {
			continue
		}
		c := w.commit
		if err := dst.SetMirrorRef(ctx, w.collection, w.ref, &c); err != nil {
			return Stats{}, err
		}
		changed++
	}
	if changed > 0 {
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
	if !opts.CommitOnly && len(opts.Subpaths) == 0 {
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
		MetadataLocal:       int(p.metaLocal.Load()),
		ContentLocal:        int(p.contentLocal.Load()),
		ContentBytesWritten: txn.Stats().ContentBytes,
		RefsChanged:         changed,
	}, nil
}

// run walks the wanted commits: metadata scans fan out (bounded by
// Concurrency, running inline when all slots are busy) while content
// imports queue for a pool of workers, so that discovering the tree never
// waits for content.
func (p *puller) run(ctx context.Context, want []wanted) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(cctx)
	p.g = g
	stop := context.AfterFunc(gctx, p.content.abort)
	defer stop()
	for range p.opts.ContentConcurrency {
		g.Go(func() error {
			for {
				c, ok := p.content.pop()
				if !ok {
					return nil
				}
				if err := p.importContent(gctx, c); err != nil {
					return err
				}
			}
		})
	}
	var scanErr error
	for _, w := range want {
		if scanErr = p.scanCommit(gctx, w.commit, w.ref); scanErr != nil {
			cancel()
			break
		}
	}
	p.metaWG.Wait()
	p.content.close()
	werr := g.Wait()
	if scanErr != nil && (werr == nil || errors.Is(werr, context.Canceled)) {
		return scanErr
	}
	if werr != nil {
		return werr
	}
	return scanErr
}

// resolve turns the requested refs into commits, or lists the source's
// refs when none are requested.
func resolve(ctx context.Context, src Source, opts Options) ([]wanted, error) {
	var out []wanted
	if len(opts.Refs) == 0 {
		list, err := src.ListRefs(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range list {
			if err := ref.ValidateRef(r.Name); err != nil {
				return nil, fmt.Errorf("Invalid ref name %s: %w", r.Name, errdefs.ErrInvalid)
			}
			out = append(out, wanted{r.Name, r.Checksum, r.CollectionID})
		}
		return out, nil
	}
	rc, _ := src.(refCollection)
	for _, name := range opts.Refs {
		if object.IsChecksumString(name) {
			c, _ := object.ParseChecksum(name)
			out = append(out, wanted{"", c, ""})
			continue
		}
		if err := ref.ValidateRef(name); err != nil {
			return nil, fmt.Errorf("Invalid ref name %s: %w", name, errdefs.ErrInvalid)
		}
		if c, ok := opts.Overrides[name]; ok {
			out = append(out, wanted{name, c, ""})
			continue
		}
		c, err := src.ResolveRef(ctx, name)
		if err != nil {
			if errors.Is(err, errdefs.ErrNotFound) {
				if _, local := src.(*LocalSource); local {
					return nil, fmt.Errorf("Refspec '%s' not found: %w", name, errdefs.ErrNotFound)
				}
			}
			return nil, err
		}
		w := wanted{ref: name, commit: c}
		if rc != nil {
			w.collection = rc.RefCollection(name)
		}
		out = append(out, w)
	}
	return out, nil
}

// refCollection is implemented by sources that know the collection of
// the refs they resolve (the summary's collection ID).
type refCollection interface {
	RefCollection(name string) string
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

// spawnMeta runs fn in the background when a metadata slot is free, and
// inline otherwise.
func (p *puller) spawnMeta(fn func() error) error {
	select {
	case p.metaSem <- struct{}{}:
		p.metaWG.Add(1)
		p.g.Go(func() error {
			defer p.metaWG.Done()
			defer func() { <-p.metaSem }()
			return fn()
		})
		return nil
	default:
		return fn()
	}
}

// loadMetadata reads a metadata object from the local caches or the
// source.
func (p *puller) loadMetadata(ctx context.Context, c object.Checksum, t object.Type) ([]byte, error) {
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
		detached, err := p.src.LoadDetachedMetadata(ctx, c)
		if err != nil {
			return err
		}
		var b []byte
		if !stored {
			b, err = p.loadMetadata(ctx, c, object.TypeCommit)
			if errors.Is(err, errdefs.ErrNotFound) && isParent && p.opts.Depth != 0 {
				// Histories may end at a commit the source lacks.
				return nil
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
		if err := p.copyDetached(ctx, c, stored, detached); err != nil {
			return err
		}
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
		if !has {
			p.content.push(f.Checksum)
		}
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
		if rest, ok := cutPrefix(want, file); ok {
			if rest == "" || (rest[0] == '/' && isDir) {
				return true
			}
			continue
		}
		if rest, ok := cutPrefix(file, want); ok && rest != "" && rest[0] == '/' {
			return true
		}
	}
	return false
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || s[:len(prefix)] != prefix {
		return "", false
	}
	return s[len(prefix):], true
}

// importContent stages content object c: from a local cache, as a hard
// link when allowed, or read from the source and rewritten in the
// destination's mode, verified against c.
func (p *puller) importContent(ctx context.Context, c object.Checksum) error {
	n := object.Name{Checksum: c, Type: object.TypeFile}
	p.contentImported.Add(1)
	for _, cr := range p.opts.LocalCaches {
		if ok, err := cr.HasObject(ctx, c, object.TypeFile); err != nil || !ok {
			continue
		}
		h, rc, size, err := cr.LoadFile(ctx, c)
		if err != nil {
			continue
		}
		err = p.writeFile(ctx, c, h, size, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("importing %s: %w", n, err)
		}
		p.contentLocal.Add(1)
		return nil
	}
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
	if af, ok := p.src.(ArchiveFetcher); ok {
		return af.FetchArchive(ctx, c, func(r io.Reader) error { return p.writeFilez(ctx, c, r) })
	}
	h, rc, size, err := p.src.LoadFile(ctx, c)
	if err != nil {
		return fmt.Errorf("importing %s: %w", n, err)
	}
	defer rc.Close()
	if err := p.writeFile(ctx, c, h, size, rc); err != nil {
		return fmt.Errorf("importing %s: %w", n, err)
	}
	return nil
}

func (p *puller) writeFile(ctx context.Context, c object.Checksum, h *object.FileHeader, size int64, payload io.Reader) error {
	if p.opts.BareUserOnlyFiles && h.Mode&object.ModeFmt == object.ModeReg {
		if bad := h.Mode &^ object.ModeFmt &^ 0o775; bad != 0 {
			return fmt.Errorf("Content object %s: invalid mode 0%04o with bits 0%04o: %w", c, h.Mode, bad, errdefs.ErrInvalid)
		}
	}
	_, err := p.txn.WriteFileVerified(ctx, c, h, size, payload)
	return err
}

// writeFilez stores content object c from its .filez bytes: as they are
// in an archive repository, otherwise unpacked.
func (p *puller) writeFilez(ctx context.Context, c object.Checksum, r io.Reader) error {
	if p.dst.Mode() == repo.ModeArchive && !p.opts.BareUserOnlyFiles {
		_, err := p.txn.WriteArchiveVerified(ctx, c, r)
		return err
	}
	h, size, payload, err := object.ReadArchiveHeader(r)
	if err != nil {
		return fmt.Errorf("Parsing %s.file: %w", c, err)
	}
	return p.writeFile(ctx, c, h, int64(size), payload)
}

// ArchiveFetcher is implemented by sources that deliver content objects
// as .filez streams (HTTP). FetchArchive hands the stream to fn; when fn
// fails with errdefs.ErrCorrupt on a download that was resumed from
// earlier data, the source fetches the object again from scratch.
type ArchiveFetcher interface {
	FetchArchive(ctx context.Context, c object.Checksum, fn func(filez io.Reader) error) error
}
