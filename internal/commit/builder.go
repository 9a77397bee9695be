package commit

import (
	"context"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// Stats counts what a commit did, as `commit --table-output` prints it.
type Stats struct {
	MetadataTotal       int
	MetadataWritten     int
	ContentTotal        int
	ContentWritten      int
	ContentCacheHits    int
	ContentBytesWritten int64
}

// sizeEntry is one ostree.sizes record.
type sizeEntry struct {
	typ      object.Type
	archived int64
	unpacked int64
}

// Builder layers sources into a Tree and stores their objects in a
// transaction. Content objects are hashed and written by a pool of
// workers (one per CPU) while the sources are walked; each Add method
// waits for them before it returns. A Builder is used from one goroutine.
type Builder struct {
	txn  *repo.Txn
	repo *repo.Repo
	mode repo.Mode
	mod  *Modifier
	root *Tree

	g          *errgroup.Group
	gctx       context.Context
	batch      []func(context.Context) error
	batchBytes int64
	slab       *[]byte // buffer space of the current batch (archives)
	slabUsed   int

	mu    sync.Mutex // guards stats and sizes, which workers update
	stats Stats
	sizes map[object.Checksum]sizeEntry // nil unless generating sizes

	dirmetas map[string]object.Checksum // serialized dirmeta → checksum (walk goroutine only)
	dirtrees map[object.Checksum][]byte // dirtrees to store (WriteTree)
	queued   int                        // bytes in dirtrees
	devino   map[devIno]object.Checksum // --link-checkout-speedup
	repoDev  uint64
	noXattrs bool     // core.disable-xattrs
	consumed []string // source directories to delete after the commit
}

// NewBuilder returns a builder writing into txn with the modifier mod
// (nil for none).
func NewBuilder(ctx context.Context, txn *repo.Txn, mod *Modifier) *Builder {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.NumCPU())
	b := &Builder{
		txn: txn, repo: txn.Repo(), mode: txn.Repo().Mode(), mod: mod, root: NewTree(),
		g: g, gctx: gctx, dirmetas: map[string]object.Checksum{},
	}
	b.repoDev, _ = b.repo.Device()
	b.noXattrs = b.repo.ConfigBool("disable-xattrs", false)
	// No soft memory limit here: a commit's live heap grows with the
	// tree, and under a fixed limit the collector runs all the time (a
	// 1,000,000-file commit took 2.3 times as long).
	return b
}

// Root is the tree being built.
func (b *Builder) Root() *Tree { return b.root }

// SetRoot replaces the tree being built (--base).
func (b *Builder) SetRoot(t *Tree) { b.root = t }

// Stats returns the counters so far.
func (b *Builder) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	ts := b.txn.Stats()
	s.MetadataWritten = int(ts.MetadataWritten)
	s.ContentWritten = int(ts.ContentWritten)
	s.ContentBytesWritten = ts.ContentBytes
	return s
}

// startLayer begins a source: like libostree, --generate-sizes only
// records the objects of the last source (and the dirtrees written at
// the end).
func (b *Builder) startLayer() {
	if b.mod != nil && b.mod.GenerateSizes && b.mode == repo.ModeArchive {
		b.mu.Lock()
		b.sizes = map[object.Checksum]sizeEntry{}
		b.mu.Unlock()
	}
}

func (b *Builder) recordSize(c object.Checksum, typ object.Type, archived, unpacked int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sizes == nil {
		return
	}
	if _, ok := b.sizes[c]; !ok {
		b.sizes[c] = sizeEntry{typ, archived, unpacked}
	}
}

func (b *Builder) generatingSizes() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sizes != nil
}

// goWork queues fn for the worker pool. Work is handed out in batches
// (of files or bytes) to keep scheduling overhead low for small files;
// handing out blocks while all workers are busy.
func (b *Builder) goWork(size int64, fn func(ctx context.Context) error) {
	b.batch = append(b.batch, fn)
	b.batchBytes += size
	if len(b.batch) >= 32 || b.batchBytes >= batchBytes {
		b.flush()
	}
}

// batchBytes bounds the payload bytes of one batch of work.
const batchBytes = 256 << 10

// slabs hold the payloads of archive entries while their batch waits;
// a batch never needs more than one.
var slabs = newFreeList(runtime.NumCPU()+2, batchBytes+smallFile)

// slabAlloc returns n bytes of the current batch's slab, n <= smallFile.
func (b *Builder) slabAlloc(n int) []byte {
	if b.slab == nil {
		b.slab = slabs.Get().(*[]byte)
		b.slabUsed = 0
	}
	buf := (*b.slab)[b.slabUsed : b.slabUsed+n : b.slabUsed+n]
	b.slabUsed += n
	return buf
}

func (b *Builder) flush() {
	if len(b.batch) == 0 {
		return
	}
	fns, slab := b.batch, b.slab
	b.batch, b.batchBytes, b.slab = nil, 0, nil
	b.g.Go(func() error {
		if slab != nil {
			defer slabs.Put(slab)
		}
		for _, fn := range fns {
			if err := fn(b.gctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// failed reports whether a worker failed; the walk stops and Wait
// returns the worker's error.
func (b *Builder) failed() bool { return b.gctx.Err() != nil }

// wait waits for all pending content writes and readies the pool for
// the next source.
func (b *Builder) wait(ctx context.Context) error {
	b.flush()
	err := b.g.Wait()
	b.g, b.gctx = errgroup.WithContext(ctx)
	b.g.SetLimit(runtime.NumCPU())
	return err
}

// writeDirMeta stores a dirmeta and returns its checksum; identical
// dirmetas are written once.
func (b *Builder) writeDirMeta(ctx context.Context, fi FileInfo, x object.Xattrs) (object.Checksum, error) {
	if err := object.ValidateDirMode(fi.Mode); err != nil {
		return object.Checksum{}, err
	}
	data := object.MarshalDirMeta(object.DirMeta{UID: fi.UID, GID: fi.GID, Mode: fi.Mode, Xattrs: x})
	return b.writeMeta(ctx, object.TypeDirMeta, data)
}

// dirTreeBatch is how many bytes of dirtrees are queued before they are
// stored: a tree of many files would otherwise hold all its dirtrees at
// once, next to the tree itself.
const dirTreeBatch = 4 << 20

// writeDirTree names a dirtree and queues it; flushDirTrees stores the
// queue in parallel, in batches and once the whole tree is serialized.
func (b *Builder) writeDirTree(ctx context.Context, data []byte) (object.Checksum, error) {
	c := object.Sum(data)
	b.mu.Lock()
	b.stats.MetadataTotal++
	b.mu.Unlock()
	b.recordSize(c, object.TypeDirTree, int64(len(data)), int64(len(data)))
	if b.dirtrees == nil {
		b.dirtrees = map[object.Checksum][]byte{}
	}
	if _, ok := b.dirtrees[c]; !ok {
		b.dirtrees[c] = data
		b.queued += len(data)
	}
	if b.queued >= dirTreeBatch {
		return c, b.flushDirTrees(ctx)
	}
	return c, nil
}

// flushDirTrees stores the queued dirtrees.
func (b *Builder) flushDirTrees(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.NumCPU())
	for c, data := range b.dirtrees {
		g.Go(func() error { return b.txn.WriteMetadataAs(gctx, c, object.TypeDirTree, data) })
	}
	b.dirtrees, b.queued = nil, 0
	return g.Wait()
}

func (b *Builder) writeMeta(ctx context.Context, typ object.Type, data []byte) (object.Checksum, error) {
	b.mu.Lock()
	b.stats.MetadataTotal++
	b.mu.Unlock()
	if typ == object.TypeDirMeta {
		if c, ok := b.dirmetas[string(data)]; ok {
			b.recordSize(c, typ, int64(len(data)), int64(len(data)))
			return c, nil
		}
	}
	c, err := b.txn.WriteMetadata(ctx, typ, data)
	if err != nil {
		return c, err
	}
	if typ == object.TypeDirMeta {
		b.dirmetas[string(data)] = c
	}
	b.recordSize(c, typ, int64(len(data)), int64(len(data)))
	return c, nil
}
