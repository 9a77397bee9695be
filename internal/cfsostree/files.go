package cfsostree

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/gostree/gostree/internal/composefs"
	"github.com/gostree/gostree/internal/fsverity"
	"github.com/gostree/gostree/internal/object"
)

// resolveFiles loads every distinct content object once (computing
// digests is the expensive part, so objects are spread over the CPUs)
// and gives each file entry its own node: libostree never emits hard
// links, so entries sharing an object stay separate inodes.
func (b *builder) resolveFiles() error {
	tmpl := make([]*composefs.Node, len(b.uniq))
	errs := make([]error, len(b.uniq))
	workers := min(runtime.GOMAXPROCS(0), len(b.uniq))
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(b.uniq) {
					return
				}
				if err := b.ctx.Err(); err != nil {
					errs[i] = err
					continue
				}
				tmpl[i], errs[i] = b.fileNode(b.uniq[i])
			}
		}()
	}
	wg.Wait()
	for _, s := range b.slots {
		if err := errs[s.obj]; err != nil {
			return fmt.Errorf("composefs: %s: %w", s.path, err)
		}
		n := *tmpl[s.obj]
		n.Name = s.name
		n.Xattrs = append([]composefs.Xattr(nil), n.Xattrs...)
		if err := s.parent.AddChild(&n); err != nil {
			return fmt.Errorf("composefs: %s: %w", s.path, err)
		}
	}
	return nil
}

// fileNode maps one content object: mode, owner, size and xattrs from
// its header; a symlink's target, or a non-empty file's object path and
// (per b.verity) its fs-verity digest.
func (b *builder) fileNode(c object.Checksum) (*composefs.Node, error) {
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
	d := fsverity.New(fsverity.Params{})
	got, err := io.Copy(d, rc)
	if err != nil {
		return nil, fmt.Errorf("file object %s: reading content: %w", c, err)
	}
	if got != size {
		return nil, fmt.Errorf("file object %s: content is %d bytes, header says %d", c, got, size)
	}
	sum := d.Sum()
	n.Digest = &sum
	return n, nil
}
