package delta

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"runtime/debug"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/membudget"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
)

// ApplyOptions configure Apply.
type ApplyOptions struct {
	// OpenPart returns the file of part i (not called for inline parts).
	// The stream is checked against the part header's checksum and size.
	OpenPart func(ctx context.Context, i int) (io.ReadCloser, error)
	// AllowFallbacks accepts deltas that leave objects to be fetched
	// separately (pulls fetch them); offline application refuses them.
	AllowFallbacks bool
	// SkipChecksums trusts part files without hashing them.
	SkipChecksums bool
	// Concurrency bounds how many parts are applied at once; 0 picks a
	// default.
	Concurrency int
	// MemoryBudget bounds the memory of the parts being decoded and
	// applied: a part starts while its payload fits next to those in
	// progress, and one part always runs, whatever its size. 0 takes
	// the repository's budget (membudget.FromConfig), which also becomes
	// the Go runtime's soft memory limit.
	MemoryBudget int64
	// PartDone, when set, is called (from the part's goroutine: parts
	// may run concurrently) after each part that was applied or
	// found complete.
	PartDone func(i int, skipped bool)
}

// Apply applies a delta to txn as ostree_repo_static_delta_execute_offline
// does: it checks that the FROM commit is present, stages the TO commit
// unless it is stored, and executes every part whose objects are not all
// present. The TO commit's detached metadata (sb.DetachedMetadata) is the
// caller's to write once the transaction is committed.
func Apply(ctx context.Context, txn *repo.Txn, sb *Superblock, opts ApplyOptions) error {
	if !sb.From.IsZero() {
		ok, err := txn.HasObject(ctx, sb.From, object.TypeCommit)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("Commit %s, which is the delta source, is not in repository: %w", sb.From, errdefs.ErrNotFound)
		}
	}
	if err := txn.WriteMetadataAs(ctx, sb.To, object.TypeCommit, sb.Commit); err != nil {
		return err
	}
	if len(sb.Fallbacks) > 0 && !opts.AllowFallbacks {
		return fmt.Errorf("Cannot execute delta offline: contains nonempty http fallback entries: %w", errdefs.ErrInvalid)
	}
	return ApplyParts(ctx, txn, sb, opts)
}

// ApplyParts executes the parts of sb that create objects txn lacks.
// Parts are opened (for a pull: downloaded) a few ahead of the ones being
// applied, which take their share of the memory budget while their
// payload is decoded and executed.
func ApplyParts(ctx context.Context, txn *repo.Txn, sb *Superblock, opts ApplyOptions) error {
	for _, h := range sb.Parts {
		if h.Version > PartVersion {
			return fmt.Errorf("Delta part has too new version %d: %w", h.Version, errdefs.ErrInvalid)
		}
	}
	budget := opts.MemoryBudget
	if budget <= 0 {
		var err error
		if budget, err = membudget.FromConfig(txn.Repo().Config()); err != nil {
			return err
		}
		membudget.SetGoLimit(budget)
	}
	n := opts.Concurrency
	if n <= 0 {
		n = min(4, runtime.GOMAXPROCS(0))
	}
	s := &partScheduler{
		mem:    semaphore.NewWeighted(budget),
		budget: budget,
		run:    semaphore.NewWeighted(int64(n)),
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(n + openAhead)
	for i := range sb.Parts {
		h := &sb.Parts[i]
		complete, err := HaveAll(gctx, txn, h.Objects)
		if err != nil {
			return err
		}
		if complete {
			if opts.PartDone != nil {
				opts.PartDone(i, true)
			}
			continue
		}
		g.Go(func() error {
			if err := applyPart(gctx, txn, sb, i, opts, s); err != nil {
				return fmt.Errorf("Executing delta part %d: %w", i, err)
			}
			if opts.PartDone != nil {
				opts.PartDone(i, false)
			}
			return nil
		})
	}
	return g.Wait()
}

// openAhead is how many parts may be open (downloaded, for a pull)
// beyond those being applied: they wait on disk, not in memory.
const openAhead = 2

// partScheduler admits parts to decoding within the memory budget and
// the concurrency bound.
type partScheduler struct {
	mem    *semaphore.Weighted
	budget int64
	run    *semaphore.Weighted
}

// partMemory is what applying part h holds: its decoded payload (with
// the slack OpenPart allocates for it) and some working buffers.
func partMemory(h *PartHeader) int64 {
	const work = 1 << 20
	return int64(payloadHint(h.USize, PayloadLimit(h.USize))) + work
}

// acquire waits until part h may be decoded and returns its release.
func (s *partScheduler) acquire(ctx context.Context, h *PartHeader) (func(), error) {
	w := min(partMemory(h), s.budget)
	if err := s.mem.Acquire(ctx, w); err != nil {
		return nil, err
	}
	if err := s.run.Acquire(ctx, 1); err != nil {
		s.mem.Release(w)
		return nil, err
	}
	return func() {
		if w >= returnAbove {
			// The payload is garbage now, but the collector would only
			// find out once the next part's allocation has raised the
			// peak: collect it and give its pages back before another
			// part may take its share.
			debug.FreeOSMemory()
		}
		s.run.Release(1)
		s.mem.Release(w)
	}, nil
}

// returnAbove is the part memory from which a finished part's payload
// is returned to the system at once; smaller ones are left to the
// collector.
const returnAbove = 4 << 20

// HaveAll reports whether every object of a part is already present
// (_ostree_repo_static_delta_part_have_all_objects).
func HaveAll(ctx context.Context, txn *repo.Txn, objects []object.Name) (bool, error) {
	for _, o := range objects {
		ok, err := txn.HasObject(ctx, o.Checksum, o.Type)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func applyPart(ctx context.Context, txn *repo.Txn, sb *Superblock, i int, opts ApplyOptions, s *partScheduler) error {
	h := &sb.Parts[i]
	popts := OpenOptions{
		MaxPayload: PayloadLimit(h.USize),
		TmpDir:     filepath.Join(txn.Repo().Path(), "tmp"),
		SizeHint:   h.USize,
	}
	var in io.Reader
	if inline, ok := sb.InlinePart(i); ok {
		in = bytes.NewReader(inline)
		popts.TmpDir = ""
	} else {
		if opts.OpenPart == nil {
			return fmt.Errorf("part %d is not inline: %w", i, errdefs.ErrNotFound)
		}
		rc, err := opts.OpenPart(ctx, i)
		if err != nil {
			return err
		}
		defer rc.Close()
		in = rc
		if !opts.SkipChecksums {
			popts.Expected = &h.Checksum
			if sb.Endianness != EndianInvalid {
				popts.MaxFileSize = int64(min(h.Size, 1<<62))
			}
		}
	}
	release, err := s.acquire(ctx, h)
	if err != nil {
		return err
	}
	defer release()
	part, err := OpenPart(in, popts)
	if err != nil {
		return err
	}
	defer part.Close()
	err = ExecutePart(ctx, txn, h.Objects, part.Payload)
	part.Buffer() // drop the payload before release collects it
	return err
}
