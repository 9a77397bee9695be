package pull

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/gostree/gostree/internal/delta"
	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fetch"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/summary"
)

// DeltaOptions turn static deltas on for a pull. For each wanted commit
// the pull looks for a delta to it from a complete commit the
// destination has (the newest one), or from scratch when the ref is new
// here; it fetches the superblock (checked against the digest the
// summary or delta index gives), the parts whose objects are missing
// (each checked against its checksum and size) and applies them, then
// fetches the delta's fallback objects like any missing object, and
// nothing else. Without a usable delta the objects are fetched one by one,
// unless Require is set.
type DeltaOptions struct {
	// Summary maps the delta names the remote's summary lists ("FROM-TO"
	// or "TO", hex) to their superblock's sha256.
	Summary map[string][]byte
	// Indexed reports that the remote publishes delta-indexes/, which is
	// then consulted for each commit instead of the summary.
	Indexed bool
	// Require makes a commit without a delta an error.
	Require bool
	// DryRun fetches the superblocks and counts what the deltas would
	// fetch (Stats.Deltas) without fetching or writing anything else.
	DryRun bool
	// SignedSummary reports a summary whose signature was verified: a
	// delta it does not list is then refused.
	SignedSummary bool
}

// DeltaStats counts the static-delta work of a pull, as libostree's
// progress keys do: parts whose objects are all present count as
// fetched, and so do fallback objects already stored.
type DeltaStats struct {
	Superblocks int
	// Failed counts deltas that could not be applied, whose commits were
	// then fetched object by object.
	Failed                           int
	PartsTotal, PartsFetched         int
	FallbacksTotal, FallbacksFetched int
	// PartSize and PartUSize total the parts' and fallbacks' stored and
	// uncompressed sizes; FetchedSize those already present or fetched.
	PartSize, PartUSize, FetchedSize uint64
	// ContentBytes is the payload size of the content objects the
	// deltas wrote.
	ContentBytes int64
	// FilesFetched and FileBytes count the delta indexes and superblocks
	// read, which libostree reports among the loose objects fetched.
	FilesFetched int
	FileBytes    int64
}

// DeltaFetcher is implemented by sources that publish static deltas.
type DeltaFetcher interface {
	// FetchDeltaFile returns a file below the repository
	// ("deltas/…/superblock", "delta-indexes/…") of at most max bytes;
	// a missing file is an error wrapping errdefs.ErrNotFound.
	FetchDeltaFile(ctx context.Context, rel string, max int64) ([]byte, error)
	// OpenDeltaPart returns a part file that must have the given size
	// and sha256, checked before it is returned.
	OpenDeltaPart(ctx context.Context, rel string, size uint64, sum object.Checksum) (io.ReadCloser, error)
}

// LocalDeltaOptions are the delta options of a local repository as a
// source: its summary's deltas and its core.indexed-deltas. Like
// libostree it fails when the repository has neither.
func LocalDeltaOptions(src *repo.Repo) (*DeltaOptions, error) {
	o := &DeltaOptions{Require: true}
	var err error
	if o.Indexed, err = src.Config().Bool("core", "indexed-deltas", false); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(src.Path(), "summary"))
	if err == nil {
		sum, err := summary.Unmarshal(raw)
		if err != nil {
			return nil, err
		}
		o.Summary = sum.StaticDeltas()
		if b, ok := sum.Metadata.Lookup(summary.KeyIndexedDeltas); ok && b.Type.String() == "b" && b.Value.(bool) {
			o.Indexed = true
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if !o.Indexed && len(o.Summary) == 0 {
		return nil, fmt.Errorf("Fetch configured to require static deltas, but no summary deltas or delta index found: %w", errdefs.ErrNotFound)
	}
	return o, nil
}

// deltaPuller applies static deltas before the object walk.
type deltaPuller struct {
	dst   *repo.Repo
	src   DeltaFetcher
	opts  *DeltaOptions
	o     *Options
	stats DeltaStats
	// applied lists the commits that deltas delivered: the walk takes
	// their detached metadata from the delta instead of fetching it.
	applied map[object.Checksum]bool
}

// pullDeltas runs the delta step of a pull for each wanted commit. The
// objects of each delta are published (with the commit marked partial)
// before the walk, which then fetches only the fallbacks.
func pullDeltas(ctx context.Context, dst *repo.Repo, src Source, o *Options, want []wanted) (*deltaPuller, error) {
	df, ok := src.(DeltaFetcher)
	if !ok || o.Deltas == nil {
		if o.Deltas != nil && o.Deltas.Require {
			return nil, errors.New("Static deltas required, but the source does not serve them")
		}
		return nil, nil
	}
	d := &deltaPuller{dst: dst, src: df, opts: o.Deltas, o: o, applied: map[object.Checksum]bool{}}
	for _, w := range want {
		err := d.pullOne(ctx, w)
		if err == nil {
			continue
		}
		if d.opts.Require || d.opts.DryRun || ctx.Err() != nil {
			return d, err
		}
		// The delta is unusable (damaged, or its parts are gone): its
		// transaction left nothing behind, and the walk fetches the
		// commit's objects one by one.
		d.stats.Failed++
	}
	return d, nil
}

// statsOf returns the counts of d, which may be nil.
func (d *deltaPuller) statsOf() DeltaStats {
	if d == nil {
		return DeltaStats{}
	}
	return d.stats
}

// fromDelta reports whether a delta delivered commit c (with its
// detached metadata).
func (d *deltaPuller) fromDelta(c object.Checksum) bool {
	return d != nil && d.applied[c]
}

func (p *Progress) deltaPartFetched() {
	if p != nil {
		p.DeltaPartsFetched.Add(1)
	}
}

func (p *Progress) deltaParts(n int) {
	if p != nil {
		p.DeltaPartsTotal.Add(int64(n))
	}
}

// pullOne is initiate_request's delta branch for one commit.
func (d *deltaPuller) pullOne(ctx context.Context, w wanted) error {
	var from object.Checksum
	if w.ref != "" {
		spec := w.ref
		if d.o.Remote != "" {
			spec = d.o.Remote + ":" + w.ref
		}
		c, ok, err := d.dst.ResolveRevExt(ctx, spec, true, false)
		if err != nil {
			return err
		}
		if ok {
			from = c
		}
	}
	var digests map[string][]byte
	switch {
	case d.opts.Indexed:
		idx, err := d.fetchIndex(ctx, w.commit)
		if err != nil {
			return err
		}
		digests = idx
	case len(d.opts.Summary) > 0:
		digests = d.opts.Summary
	default:
		// No list of deltas: try the ref's current commit, or a scratch
		// delta, and fall back to objects when there is none.
		if !from.IsZero() && !d.complete(from) {
			from = object.Checksum{}
		}
		if from == w.commit {
			return nil
		}
		return d.tryDelta(ctx, w, delta.ID{From: from, To: w.commit}, nil)
	}
	id, found, unchanged, err := d.bestDelta(ctx, digests, w.commit)
	if err != nil || unchanged {
		return err
	}
	if !found {
		if d.opts.Require {
			return fmt.Errorf("Static deltas required, but none found for %s to %s", w.ref, w.commit)
		}
		return nil
	}
	if id.From.IsZero() && !from.IsZero() {
		// A ref we already have is likely a few commits behind: its
		// objects are cheaper than a scratch delta.
		return nil
	}
	return d.tryDelta(ctx, w, id, digests)
}

// fetchIndex reads the remote's delta index for commit to; a missing
// index lists no delta.
func (d *deltaPuller) fetchIndex(ctx context.Context, to object.Checksum) (map[string][]byte, error) {
	b, err := d.src.FetchDeltaFile(ctx, delta.IndexPath(to), fetch.MaxMetadataSize)
	if errors.Is(err, errdefs.ErrNotFound) {
		return map[string][]byte{}, nil
	}
	if err != nil {
		return nil, err
	}
	d.stats.FilesFetched++
	d.stats.FileBytes += int64(len(b))
	idx, err := delta.UnmarshalIndex(b)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(idx))
	for id, digest := range idx {
		out[id.String()] = digest
	}
	return out, nil
}

// complete reports whether commit c is stored here and not partial.
func (d *deltaPuller) complete(c object.Checksum) bool {
	ok, err := d.dst.HasObject(context.Background(), c, object.TypeCommit)
	if err != nil || !ok {
		return false
	}
	st, err := d.dst.CommitState(c)
	return err == nil && !st.Partial
}

// bestDelta is get_best_static_delta_start_for: among the listed deltas
// to commit to, the one from the newest complete commit we have, else a
// scratch delta. unchanged reports that to is already here, complete.
func (d *deltaPuller) bestDelta(ctx context.Context, digests map[string][]byte, to object.Checksum) (id delta.ID, found, unchanged bool, err error) {
	if d.complete(to) {
		return delta.ID{}, false, true, nil
	}
	scratch := false
	var best object.Checksum
	var bestTS uint64
	for name := range digests {
		cand, err := delta.ParseID(name)
		if err != nil {
			return delta.ID{}, false, false, err
		}
		if cand.To != to {
			continue
		}
		if cand.From.IsZero() {
			scratch = true
			continue
		}
		if !d.complete(cand.From) {
			continue
		}
		cm, err := d.dst.LoadCommit(ctx, cand.From)
		if err != nil {
			return delta.ID{}, false, false, err
		}
		if best.IsZero() || cm.Timestamp > bestTS {
			best, bestTS = cand.From, cm.Timestamp
		}
	}
	if !best.IsZero() {
		return delta.ID{From: best, To: to}, true, false, nil
	}
	return delta.ID{To: to}, scratch, false, nil
}

// tryDelta fetches and applies delta id; a missing superblock falls back
// to objects (or fails when deltas are required).
func (d *deltaPuller) tryDelta(ctx context.Context, w wanted, id delta.ID, digests map[string][]byte) error {
	raw, err := d.src.FetchDeltaFile(ctx, id.SuperblockPath(), fetch.MaxMetadataSize)
	if errors.Is(err, errdefs.ErrNotFound) {
		if d.opts.Require {
			from := ""
			if !id.From.IsZero() {
				from = id.From.String()
			}
			return fmt.Errorf("Static deltas required, but none found for %s to %s", from, id.To)
		}
		return nil
	}
	if err != nil {
		return err
	}
	d.stats.FilesFetched++
	d.stats.FileBytes += int64(len(raw))
	expected, listed := digests[id.String()]
	if d.opts.SignedSummary && !listed {
		return errors.New("GPG verification enabled, but no summary signatures found (use gpg-verify-summary=false in remote config to disable)")
	}
	if listed {
		if sum := sha256.Sum256(raw); !bytes.Equal(sum[:], expected) {
			return fmt.Errorf("Invalid checksum for static delta %s: %w", id, errdefs.ErrCorrupt)
		}
	}
	sb, err := delta.UnmarshalSuperblock(raw)
	if err != nil {
		return err
	}
	if sb.ID() != id {
		return fmt.Errorf("static delta %s: superblock is for %s: %w", id, sb.ID(), errdefs.ErrCorrupt)
	}
	d.stats.Superblocks++
	return d.apply(ctx, w, sb)
}

// apply is process_one_static_delta: count, verify and stage the commit,
// then execute the parts that create missing objects. Everything goes
// through one transaction that is committed at the end, the commit
// marked partial until the walk has fetched the fallbacks.
func (d *deltaPuller) apply(ctx context.Context, w wanted, sb *delta.Superblock) error {
	for _, f := range sb.Fallbacks {
		d.stats.FallbacksTotal++
		d.stats.PartSize += f.Size
		d.stats.PartUSize += f.USize
		have, err := d.dst.HasObject(ctx, f.Checksum, f.Type)
		if err != nil {
			return err
		}
		if have {
			d.stats.FetchedSize += f.Size
			d.stats.FallbacksFetched++
		} else if f.Type.IsMeta() {
			return fmt.Errorf("Found metadata object as fallback: %s.%s", f.Checksum, f.Type)
		}
	}
	for _, h := range sb.Parts {
		if h.Version > delta.PartVersion {
			return fmt.Errorf("Delta part has too new version %d", h.Version)
		}
		d.stats.PartsTotal++
		d.stats.PartSize += h.Size
		d.stats.PartUSize += h.USize
	}
	if d.opts.DryRun {
		for _, h := range sb.Parts {
			if ok, err := haveAll(ctx, d.dst, h.Objects); err != nil {
				return err
			} else if ok {
				d.stats.PartsFetched++
				d.stats.FetchedSize += h.Size
			}
		}
		return nil
	}
	haveTo, err := d.dst.HasObject(ctx, sb.To, object.TypeCommit)
	if err != nil {
		return err
	}
	txn, err := d.dst.Begin(ctx)
	if err != nil {
		return err
	}
	defer txn.Abort()
	d.o.Progress.deltaParts(len(sb.Parts))
	ok := false
	if !haveTo {
		defer func() {
			if !ok {
				d.dst.ClearPartial(sb.To)
			}
		}()
		detached, hasDetached, err := sb.DetachedMetadata()
		if err != nil {
			return err
		}
		var detachedBytes []byte
		if hasDetached {
			if detachedBytes, err = object.MarshalMetadata(detached); err != nil {
				return err
			}
		}
		if d.o.VerifyCommit != nil {
			if err := d.o.VerifyCommit(ctx, sb.To, sb.Commit, detachedBytes); err != nil {
				return err
			}
		}
		if err := d.dst.MarkPartial(sb.To, false); err != nil {
			return err
		}
		if hasDetached {
			if err := txn.WriteMetadataAs(ctx, sb.To, object.TypeCommitMeta, detachedBytes); err != nil {
				return err
			}
		}
		if err := txn.WriteMetadataAs(ctx, sb.To, object.TypeCommit, sb.Commit); err != nil {
			return err
		}
	}
	var fetched atomic.Int64
	var fetchedSize atomic.Uint64
	err = delta.ApplyParts(ctx, txn, sb, delta.ApplyOptions{
		OpenPart: func(ctx context.Context, i int) (io.ReadCloser, error) {
			h := &sb.Parts[i]
			return d.src.OpenDeltaPart(ctx, sb.ID().PartPath(i), h.Size, h.Checksum)
		},
		PartDone: func(i int, skipped bool) {
			fetched.Add(1)
			fetchedSize.Add(sb.Parts[i].Size)
			if !skipped {
				d.o.Progress.deltaPartFetched()
			}
		},
	})
	d.stats.PartsFetched += int(fetched.Load())
	d.stats.FetchedSize += fetchedSize.Load()
	if err != nil {
		return err
	}
	if err := txn.Commit(ctx); err != nil {
		return err
	}
	ok = true
	d.applied[sb.To] = true
	d.stats.ContentBytes += txn.Stats().ContentBytes
	return nil
}

func haveAll(ctx context.Context, r *repo.Repo, objs []object.Name) (bool, error) {
	for _, o := range objs {
		ok, err := r.HasObject(ctx, o.Checksum, o.Type)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// FetchDeltaFile implements DeltaFetcher: delta files come from the
// content URLs, as libostree fetches them.
func (s *HTTPSource) FetchDeltaFile(ctx context.Context, rel string, max int64) ([]byte, error) {
	return s.fetchBytes(ctx, &fetch.Request{Mirrors: s.content, Path: rel, MaxSize: max, Priority: fetch.PriorityMetadata})
}

// OpenDeltaPart implements DeltaFetcher. A resumed download that does
// not match is fetched again from scratch.
func (s *HTTPSource) OpenDeltaPart(ctx context.Context, rel string, size uint64, sum object.Checksum) (io.ReadCloser, error) {
	req := &fetch.Request{Mirrors: s.content, Path: rel, MaxSize: int64(min(size, 1<<62)), Priority: fetch.PriorityContent, Resumable: true}
	for {
		b, err := s.client.Fetch(ctx, req)
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		if _, err := io.Copy(h, b.Reader()); err != nil {
			b.Close()
			return nil, err
		}
		if got := object.HashSum(h); got != sum {
			b.Close()
			if b.Resumed && !req.NoResume {
				req.NoResume = true
				continue
			}
			return nil, fmt.Errorf("Checksum mismatch in static delta part; expected=%s actual=%s: %w", sum, got, errdefs.ErrCorrupt)
		}
		return bodyReader{b.Reader(), b}, nil
	}
}

// FetchDeltaFile implements DeltaFetcher for a repository on disk.
func (s *LocalSource) FetchDeltaFile(ctx context.Context, rel string, max int64) ([]byte, error) {
	f, err := os.Open(filepath.Join(s.r.Path(), rel))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", rel, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: %w", rel, fetch.ErrTooLarge)
	}
	return b, nil
}

// OpenDeltaPart implements DeltaFetcher for a repository on disk; the
// checksum and size are checked as the part is read.
func (s *LocalSource) OpenDeltaPart(ctx context.Context, rel string, size uint64, sum object.Checksum) (io.ReadCloser, error) {
	f, err := os.Open(filepath.Join(s.r.Path(), rel))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", rel, errdefs.ErrNotFound)
	}
	return f, err
}

var (
	_ DeltaFetcher = (*HTTPSource)(nil)
	_ DeltaFetcher = (*LocalSource)(nil)
)

// localDeltas are the delta options of a file:// remote pulled with
// required deltas.
func localDeltas(path string, dryRun bool) (*DeltaOptions, error) {
	src, err := repo.Open(context.Background(), path)
	if err != nil {
		return nil, err
	}
	o, err := LocalDeltaOptions(src)
	if err != nil {
		return nil, err
	}
	o.DryRun = dryRun
	return o, nil
}
