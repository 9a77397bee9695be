package repo

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"golang.org/x/sys/unix"
)

// WriteArchiveVerified stores content object c from its .filez bytes,
// as HTTP servers serve them, without recompressing: the stream is
// copied to the staging file while it is parsed, decompressed and
// hashed, and the file is staged only if the object has checksum c. Only
// archive repositories store .filez; others get ErrNotSupported. It
// reports whether the object was newly staged.
func (t *Txn) WriteArchiveVerified(ctx context.Context, c object.Checksum, filez io.Reader) (bool, error) {
	return t.writeArchive(ctx, c, filez, true)
}

// WriteArchiveTrusted stores .filez bytes as content object c without
// checking that they hash to c: `pull --mirror --http-trusted` between
// archive repositories, where libostree copies objects verbatim. fsck
// still catches a bad one.
func (t *Txn) WriteArchiveTrusted(ctx context.Context, c object.Checksum, filez io.Reader) (bool, error) {
	return t.writeArchive(ctx, c, filez, false)
}

func (t *Txn) writeArchive(ctx context.Context, c object.Checksum, filez io.Reader, verify bool) (bool, error) {
	if t.r.mode != ModeArchive {
		return false, fmt.Errorf("storing .filez needs an archive repository: %w", errdefs.ErrNotSupported)
	}
	t.mu.Lock()
	t.stats.ContentTotal++
	t.mu.Unlock()
	f, err := t.createTemp()
	if err != nil {
		return false, fmt.Errorf("write content object %s: %w", c, err)
	}
	size, got, err := copyArchive(rawFile{f.fd}, filez)
	if err == nil {
		err = unix.Fchmod(f.fd, 0o644)
	}
	if err != nil {
		f.discard()
		return false, fmt.Errorf("Parsing %s.file: %w", c, err)
	}
	if verify && got != c {
		f.discard()
		return false, fmt.Errorf("Corrupted file object; checksum expected='%s' actual='%s': %w", c, got, errdefs.ErrCorrupt)
	}
	written, err := t.place(ctx, object.Name{Checksum: c, Type: object.TypeFile}, f, size, false)
	if written {
		t.mu.Lock()
		t.stats.ContentWritten++
		t.stats.ContentBytes += size
		t.mu.Unlock()
	}
	return written, err
}

// copyArchive copies a .filez stream to w while checksumming its
// content; it returns the payload size and the checksum.
func copyArchive(w io.Writer, filez io.Reader) (int64, object.Checksum, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	tee := io.TeeReader(filez, bw)
	h, size, payload, err := object.ReadArchiveHeader(tee)
	if err != nil {
		return 0, object.Checksum{}, err
	}
	if err := h.Validate(); err != nil {
		return 0, object.Checksum{}, fmt.Errorf("%w: %v", errdefs.ErrCorrupt, err)
	}
	hasher := object.NewFileHasher(h)
	if !h.IsSymlink() {
		if _, err := io.Copy(hasher, payload); err != nil {
			return 0, object.Checksum{}, fmt.Errorf("%w: %v", errdefs.ErrCorrupt, err)
		}
	}
	// Whatever the decompressor did not read yet belongs to the file too.
	if _, err := io.Copy(bw, filez); err != nil {
		return 0, object.Checksum{}, err
	}
	if err := bw.Flush(); err != nil {
		return 0, object.Checksum{}, err
	}
	return int64(size), object.HashSum(hasher), nil
}
