package pull

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsck"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

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
		err = p.writeFile(ctx, c, h, size, rc, false)
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
		return af.FetchArchive(ctx, c, func(r io.Reader) error {
			// Many requests stay in flight to hide latency, but only a
			// few objects are unpacked at once: the others wait in their
			// sockets' buffers, not in memory.
			select {
			case p.procSem <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			defer func() { <-p.procSem }()
			return p.writeFilez(ctx, c, r)
		})
	}
	h, rc, size, err := p.src.LoadFile(ctx, c)
	if err != nil {
		return fmt.Errorf("importing %s: %w", n, err)
	}
	defer rc.Close()
	// A local source is trusted unless --untrusted, as libostree trusts
	// pull-local: its objects are copied without rehashing.
	if err := p.writeFile(ctx, c, h, size, rc, p.trusted()); err != nil {
		return fmt.Errorf("importing %s: %w", n, err)
	}
	return nil
}

// processSlots is how many streamed content objects are unpacked, verified
// and written at once: the work is CPU-bound, and each costs buffers and
// a decompressor.
func processSlots() int { return max(4, 2*runtime.NumCPU()) }

func (p *puller) writeFile(ctx context.Context, c object.Checksum, h *object.FileHeader, size int64, payload io.Reader, trusted bool) error {
	if p.opts.BareUserOnlyFiles && h.Mode&object.ModeFmt == object.ModeReg {
		if bad := h.Mode &^ object.ModeFmt &^ 0o775; bad != 0 {
			return fmt.Errorf("Content object %s: invalid mode 0%04o with bits 0%04o: %w", c, h.Mode, bad, errdefs.ErrInvalid)
		}
	}
	if trusted {
		_, _, err := p.txn.WriteTrustedFile(ctx, c, h, size, payload)
		return err
	}
	_, err := p.txn.WriteFileVerified(ctx, c, h, size, payload)
	return err
}

// writeFilez stores content object c from its .filez bytes: as they are
// in an archive repository, otherwise unpacked.
func (p *puller) writeFilez(ctx context.Context, c object.Checksum, r io.Reader) error {
	if p.dst.Mode() == repo.ModeArchive && !p.opts.BareUserOnlyFiles {
		if p.opts.HTTPTrusted && p.opts.Mirror {
			_, err := p.txn.WriteArchiveTrusted(ctx, c, r)
			return err
		}
		_, err := p.txn.WriteArchiveVerified(ctx, c, r)
		return err
	}
	h, size, payload, err := object.OpenArchive(r)
	if err != nil {
		return fmt.Errorf("Parsing %s.file: %w", c, err)
	}
	defer payload.Release()
	return p.writeFile(ctx, c, h, int64(size), payload, false)
}

// ArchiveFetcher is implemented by sources that deliver content objects
// as .filez streams (HTTP). FetchArchive hands the stream to fn; when fn
// fails with errdefs.ErrCorrupt on a download that was resumed from
// earlier data, the source fetches the object again from scratch.
type ArchiveFetcher interface {
	FetchArchive(ctx context.Context, c object.Checksum, fn func(filez io.Reader) error) error
}
