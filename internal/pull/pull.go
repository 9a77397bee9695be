package pull

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsck"
	"github.com/gostree/gostree/internal/membudget"
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
	// Collections gives pinned refs their collection (collection-ref
	// pulls): mirroring writes such a ref under refs/mirrors/CID unless
	// CID is the repository's own.
	Collections map[string]string
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
	// Untrusted verifies every object of a local source, linked or
	// copied; otherwise a local source is trusted, as libostree's
	// pull-local trusts it. Remote (HTTP) objects are always verified,
	// except with HTTPTrusted.
	Untrusted bool
	// HTTPTrusted (`--http-trusted`) stores content objects of an
	// archive-to-archive mirror pull without rehashing them.
	HTTPTrusted bool
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
	// Progress, when set, is updated as the pull goes (see Progress).
	Progress *Progress
	// Deltas, when set, lets the pull use static deltas (see delta.go).
	Deltas *DeltaOptions
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
	// Deltas counts the static-delta work.
	Deltas DeltaStats
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
	// deltas is the delta step that ran before the walk, or nil.
	deltas *deltaPuller

	g       *errgroup.Group
	metaSem chan struct{}
	metaWG  sync.WaitGroup
	content *workQueue
	// procSem bounds the streamed content objects being unpacked and
	// written at once (see importContent).
	procSem chan struct{}

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
	membudget.LimitGo(dst.Config())
	if opts.Concurrency <= 0 {
		opts.Concurrency = runtime.NumCPU()
	}
	if opts.ContentConcurrency <= 0 {
		opts.ContentConcurrency = opts.Concurrency
	}
	opts.Progress.setPhase(PhaseResolve)
	want, err := resolve(ctx, src, opts)
	if err != nil {
		return Stats{}, err
	}
	dp, err := pullDeltas(ctx, dst, src, &opts, want)
	if err != nil || (opts.Deltas != nil && opts.Deltas.DryRun) {
		return Stats{Deltas: dp.statsOf()}, err
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
		procSem:     make(chan struct{}, processSlots()),
		deltas:      dp,
	}
	if l, ok := src.(Linker); ok && l.LinkableTo(dst) {
		p.link = l
	}
	opts.Progress.setPhase(PhaseFetch)
	if err := p.run(ctx, want); err != nil {
		if opts.KeepOnError {
			// Everything staged was verified; publishing it lets the
			// next pull resume. The commits stay partial.
			txn.Commit(context.WithoutCancel(ctx))
		}
		return Stats{}, err
	}

	opts.Progress.setPhase(PhaseWrite)
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
		MetadataImported: int(p.metaImported.Load()),
		ContentImported:  int(p.contentImported.Load()),
		MetadataLocal:    int(p.metaLocal.Load()),
		ContentLocal:     int(p.contentLocal.Load()),
		// Content a static delta wrote is not counted here, as libostree
		// reports it ("0 bytes content written" after a delta-only pull).
		ContentBytesWritten: txn.Stats().ContentBytes,
		RefsChanged:         changed,
		Deltas:              dp.statsOf(),
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
				p.unclaim(object.Name{Checksum: c, Type: object.TypeFile})
				p.opts.Progress.contentFetched()
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
			out = append(out, wanted{name, c, opts.Collections[name]})
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

// unclaim forgets content object n once it is stored or staged, where
// HasObject finds it: the claims held at any time are then those of the
// queued objects, not of every file of the tree.
func (p *puller) unclaim(n object.Name) {
	p.mu.Lock()
	delete(p.claimed, n)
	p.mu.Unlock()
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
