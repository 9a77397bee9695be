package delta

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"runtime"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/gostree/gostree/internal/object"
)

// prefetchBudget bounds the memory of objects read or diffed ahead of the
// part being built. One job larger than it runs alone.
const prefetchBudget = 16 << 20

// itemKind says how an object goes into a part.
type itemKind uint8

const (
	itemMeta     itemKind = iota // metadata, copied whole
	itemModified                 // a file with an old version: bsdiff, rollsum or whole
	itemWhole                    // a regular file or symlink, copied whole
)

// item is one object of the delta, in part order.
type item struct {
	kind itemKind
	name object.Name
	file planFile
	mod  modifiedFile
}

// weight estimates the memory an item's preparation holds.
func (it *item) weight(opts *GenerateOptions) int64 {
	switch it.kind {
	case itemMeta:
		return 64 << 10
	case itemModified:
		if it.useBsdiff(opts) {
			return DiffMemory(it.mod.fromInfo.size, it.mod.info.size) + it.mod.fromInfo.size + 2*it.mod.info.size
		}
		return it.mod.fromInfo.size + 2*it.mod.info.size
	}
	return it.file.info.size + 4<<10
}

// compressWeight estimates an item's share of the compression work: its
// data, or a fraction of it for files that are already compressed (the
// compressor stores those) or rebuilt from an older version.
func (it *item) compressWeight() int64 {
	switch it.kind {
	case itemMeta:
		return 512
	case itemModified:
		return it.mod.info.size / 4
	}
	if isCompressedExt(path.Ext(it.file.path)) {
		return it.file.info.size / 8
	}
	return it.file.info.size
}

// minParallelWeight is the compression work below which a delta stays in
// one part rather than being split for parallel compression.
const minParallelWeight = 4 << 20

// partWeightTarget returns the compression work per part that spreads
// the delta over an even number of similar parts, so that the part
// compressors run in parallel until the end; 0 keeps libostree's
// size-only rule.
func partWeightTarget(items []item, maxChunk int64) int64 {
	var bytes, weight int64
	for i := range items {
		it := &items[i]
		weight += it.compressWeight()
		switch it.kind {
		case itemMeta:
			bytes += 512
		case itemModified:
			bytes += it.mod.info.size / 4
		default:
			bytes += it.file.info.size
		}
	}
	n := (bytes + maxChunk - 1) / maxChunk
	if weight >= minParallelWeight {
		n = max(n, 2)
	}
	if n <= 1 {
		return 0
	}
	n += n % 2
	return weight/n + 1
}

func (it *item) useBsdiff(opts *GenerateOptions) bool {
	return !opts.DisableBsdiff && opts.MaxBsdiffSize > 0 && it.mod.fromInfo.size+it.mod.info.size <= opts.MaxBsdiffSize
}

// prepared is an item ready to be added to a part.
type prepared struct {
	hdr     *object.FileHeader
	data    []byte // metadata, file content or symlink target
	patch   []byte // bsdiff patch, when the item uses it
	matches []rollMatch
	rolled  int // bytes covered by matches
	weight  int64
}

// items lists the plan's objects in part order.
func (p *plan) items() []item {
	out := make([]item, 0, len(p.meta)+len(p.modified)+len(p.files)+len(p.symlinks))
	for _, n := range p.meta {
		out = append(out, item{kind: itemMeta, name: n})
	}
	for _, m := range p.modified {
		out = append(out, item{kind: itemModified, name: object.Name{Checksum: m.csum, Type: object.TypeFile}, mod: m})
	}
	for _, list := range [][]planFile{p.files, p.symlinks} {
		for _, f := range list {
			out = append(out, item{kind: itemWhole, name: object.Name{Checksum: f.csum, Type: object.TypeFile}, file: f})
		}
	}
	return out
}

// run prepares the plan's items in parallel, adds them in order to parts,
// and compresses finished parts in parallel.
func (g *generator) run(ctx context.Context, p *plan) ([]*builtPart, error) {
	items := p.items()
	results := make([]chan *prepared, len(items))
	for i := range results {
		results[i] = make(chan *prepared, 1)
	}
	sem := semaphore.NewWeighted(prefetchBudget)
	workers := runtime.GOMAXPROCS(0)

	var parts []*builtPart
	grp, gctx := errgroup.WithContext(ctx)
	// Producer: start preparations in order, within the memory budget.
	grp.Go(func() error {
		wg, wctx := errgroup.WithContext(gctx)
		wg.SetLimit(workers)
		for i := range items {
			it := &items[i]
			w := min(it.weight(g.opts), prefetchBudget)
			if err := sem.Acquire(wctx, w); err != nil {
				break
			}
			wg.Go(func() error {
				res, err := g.prepare(wctx, it)
				if err != nil {
					sem.Release(w)
					return err
				}
				res.weight = w
				results[i] <- res
				return nil
			})
		}
		return wg.Wait()
	})
	// Consumer: build parts in order; compress each finished one.
	grp.Go(func() error {
		comp, cctx := errgroup.WithContext(gctx)
		comp.SetLimit(workers)
		// A part's data is built only when a compressor is free for it,
		// so that at most `workers` parts are held at once.
		slots := make(chan struct{}, workers)
		acquire := func() error {
			select {
			case slots <- struct{}{}:
				return nil
			case <-cctx.Done():
				return cctx.Err()
			}
		}
		err := g.assemble(gctx, items, results, sem, acquire, func(b *partBuilder) {
			idx := len(parts)
			pt := &builtPart{objects: len(b.objects)}
			g.stats.Loose += b.loose
			parts = append(parts, pt)
			comp.Go(func() error {
				defer func() { <-slots }()
				return g.finishPart(cctx, idx, b, pt)
			})
		})
		if cerr := comp.Wait(); err == nil {
			err = cerr
		}
		return err
	})
	err := grp.Wait()
	return parts, err
}

// assemble adds the prepared items to parts in order, handing each
// finished part to done.
func (g *generator) assemble(ctx context.Context, items []item, results []chan *prepared, sem *semaphore.Weighted, acquire func() error, done func(*partBuilder)) error {
	max := g.opts.MaxChunkSize
	target := partWeightTarget(items, max)
	hint := int(min(max, 1<<30))
	if err := acquire(); err != nil {
		return err
	}
	cur := newPartBuilder(hint)
	for i := range items {
		var res *prepared
		select {
		case res = <-results[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		it := &items[i]
		// libostree starts a new part before an object whose data would
		// overflow this one, or, for rebuilt files, once the part is full.
		var over bool
		switch {
		case res.patch != nil || res.matches != nil:
			over = int64(cur.blobLen()) > max
		default:
			over = int64(cur.blobLen())+int64(len(res.data)) > max
		}
		if target > 0 && cur.weight >= target {
			over = true
		}
		if over && !cur.empty() {
			done(cur)
			if err := acquire(); err != nil {
				return err
			}
			cur = newPartBuilder(hint)
		}
		if err := g.add(cur, it, res); err != nil {
			return err
		}
		cur.weight += it.compressWeight()
		sem.Release(res.weight)
	}
	done(cur)
	return nil
}

// add puts one prepared item into the part.
func (g *generator) add(b *partBuilder, it *item, res *prepared) error {
	switch {
	case it.kind == itemMeta:
		b.addMeta(it.name, res.data)
		b.loose += g.storageSize(it.name)
	case res.patch != nil:
		b.addBsdiff(it.name.Checksum, it.mod.from, res.hdr, it.mod.info.size, res.patch)
		g.stats.Bsdiff++
	case res.matches != nil:
		b.addRollsum(it.name.Checksum, it.mod.from, res.hdr, res.data, res.matches)
		g.stats.Rollsum++
		g.stats.RollsumBytes += uint64(res.rolled)
	default:
		size := int64(len(res.data))
		if res.hdr.IsSymlink() {
			size = 0
		}
		b.addWhole(it.name.Checksum, res.hdr, res.data, size)
		b.loose += g.storageSize(it.name)
	}
	return nil
}

func (g *generator) storageSize(n object.Name) uint64 {
	s, err := g.r.ObjectStorageSize(n.Checksum, n.Type)
	if err != nil {
		return 0
	}
	return uint64(s)
}

// prepare loads (and for modified files, diffs) one item.
func (g *generator) prepare(ctx context.Context, it *item) (*prepared, error) {
	if it.kind == itemMeta {
		data, err := g.r.LoadMetadata(ctx, it.name.Checksum, it.name.Type)
		if err != nil {
			return nil, err
		}
		return &prepared{data: data}, nil
	}
	hdr, data, err := g.loadContent(ctx, it.name.Checksum)
	if err != nil {
		return nil, err
	}
	res := &prepared{hdr: hdr, data: data}
	if it.kind != itemModified {
		return res, nil
	}
	_, old, err := g.loadContent(ctx, it.mod.from)
	if err != nil {
		return nil, err
	}
	if it.useBsdiff(g.opts) {
		var patch bytes.Buffer
		patch.Grow(len(data) + len(data)/8 + 64)
		st, err := diffStats(old, data, &patch)
		if err != nil {
			return nil, fmt.Errorf("bsdiff %s → %s: %w", it.mod.from, it.name.Checksum, err)
		}
		if st.worthIt(len(data)) {
			res.patch = patch.Bytes()
			return res, nil
		}
	}
	matches, rolled := rollsumMatches(old, data)
	// Like libostree, only when at least half the file is found.
	if len(data) > 0 && rolled*2 >= len(data) {
		res.matches, res.rolled = matches, rolled
		if res.matches == nil {
			res.matches = []rollMatch{}
		}
	}
	return res, nil
}

// loadContent reads a content object whole: a regular file's data, or a
// symlink's target.
func (g *generator) loadContent(ctx context.Context, c object.Checksum) (*object.FileHeader, []byte, error) {
	hdr, rc, size, err := g.r.LoadFile(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	if hdr.IsSymlink() {
		return hdr, []byte(hdr.Target), nil
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(rc, data); err != nil {
		return nil, nil, fmt.Errorf("read content object %s: %w", c, err)
	}
	return hdr, data, nil
}

// finishPart serializes and compresses a finished part.
func (g *generator) finishPart(ctx context.Context, idx int, b *partBuilder, pt *builtPart) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	objects, usize := b.objects, b.usize
	payload := b.serialize()
	tmp, sum, size, err := g.compressPart(payload)
	if err != nil {
		return fmt.Errorf("delta part %d: %w", idx, err)
	}
	pt.tmp = tmp
	pt.header = PartHeader{Version: PartVersion, Checksum: sum, Size: size, USize: usize, Objects: objects}
	return nil
}
