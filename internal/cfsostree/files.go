package cfsostree

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gostree/gostree/internal/composefs"
	"github.com/gostree/gostree/internal/fsverity"
	"github.com/gostree/gostree/internal/object"
)

// resolveFiles loads every distinct content object once, spread over
// the CPUs (system calls per object, and digests where computed, are
// the cost), and gives each file entry its own node: libostree never
// emits hard links, so entries sharing an object stay separate inodes.
// The result does not depend on the order the workers finish in.
func (b *builder) resolveFiles() error {
	tmpl := make([]*composefs.Node, len(b.uniq))
	errs := make([]error, len(b.uniq))
	workers := min(runtime.GOMAXPROCS(0), len(b.uniq))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s *scratch
			if b.loose != nil {
				s = newScratch()
			}
			for {
				i := int(next.Add(1) - 1)
				if i >= len(b.uniq) {
					return
				}
				if err := b.ctx.Err(); err != nil {
					errs[i] = err
					continue
				}
				tmpl[i], errs[i] = b.fileNode(b.uniq[i], s)
			}
		}()
	}
	wg.Wait()
	// One allocation for all the file nodes; entries sharing an object
	// share its xattr values (nothing below modifies them) but not the
	// slice, so that a caller setting an xattr on one leaves the others.
	nodes := make([]composefs.Node, len(b.slots))
	for i, s := range b.slots {
		if err := errs[s.obj]; err != nil {
			return fmt.Errorf("composefs: %s: %w", s.path(), err)
		}
		n := &nodes[i]
		*n = *tmpl[s.obj]
		n.Name = s.name
		if len(n.Xattrs) > 0 {
			n.Xattrs = append([]composefs.Xattr(nil), n.Xattrs...)
		}
		if err := s.parent.AddChild(n); err != nil {
			return fmt.Errorf("composefs: %s: %w", s.path(), err)
		}
	}
	return nil
}

// fileNode maps one content object: mode, owner, size and xattrs from
// its header; a symlink's target, or a non-empty file's object path and
// (per b.verity) its fs-verity digest. Objects of a loose repository are
// read by path (loose.go); anything that path does not handle, errors
// included, goes through Source.LoadFile, whose messages are the ones
// reported.
func (b *builder) fileNode(c object.Checksum, s *scratch) (*composefs.Node, error) {
	if b.loose != nil {
		if n, ok := b.loose.fileNode(c, s); ok {
			return n, nil
		}
	}
	h, rc, size, err := b.src.LoadFile(b.ctx, c)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	n := &composefs.Node{Mode: h.Mode, UID: h.UID, GID: h.GID, Nlink: 1, Xattrs: xattrs(h.Xattrs)}
	switch {
	case h.IsSymlink():
		n.SetPayload(h.Target)
		n.Size = uint64(len(h.Target))
		return n, nil
	case n.Type() != composefs.TypeRegular:
		return nil, fmt.Errorf("file object %s has mode 0%o, neither a regular file nor a symlink", c, h.Mode)
	}
	n.Size = uint64(size)
	if size == 0 {
		return n, nil
	}
	n.SetPayload(object.LoosePath(c, object.TypeFile, false))
	if b.verity == VerityNone {
		return n, nil
	}
	// An object with fs-verity already enabled vouches for itself; only
	// a loose file can be measured (not an archive's compressed stream).
	if f, ok := rc.(*os.File); ok {
		if d, err := fsverity.Measure(f); err == nil {
			n.Digest = &d
			return n, nil
		}
	}
	if b.verity != VerityRequired {
		return n, nil
	}
	return n, computeDigest(n, c, rc, size)
}

// computeDigest sets n's digest from the object's content.
func computeDigest(n *composefs.Node, c object.Checksum, r io.Reader, size int64) error {
	d := fsverity.New(fsverity.Params{})
	got, err := io.Copy(d, r)
	if err != nil {
		return fmt.Errorf("file object %s: reading content: %w", c, err)
	}
	if got != size {
		return fmt.Errorf("file object %s: content is %d bytes, header says %d", c, got, size)
	}
	sum := d.Sum()
	n.Digest = &sum
	return nil
}
