package repo

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/object"
)

// WriteFile stores a content object from its header and payload (size
// bytes; ignored for symlinks). The checksum is computed while writing;
// when expected is non-nil a mismatch is an error and nothing is stored.
// An object that already exists is not rewritten.
func (t *Txn) WriteFile(ctx context.Context, h *object.FileHeader, size int64, payload io.Reader, expected *object.Checksum) (object.Checksum, error) {
	if err := h.Validate(); err != nil {
		return object.Checksum{}, fmt.Errorf("%w: %v", errdefs.ErrInvalid, err)
	}
	if h.IsSymlink() {
		size, payload = 0, nil
	}
	hasher := object.NewFileHasher(h)
	var src io.Reader
	if payload != nil {
		src = &countingReader{r: io.TeeReader(payload, hasher)}
	}
	tmp := t.tempPath()
	var err error
	switch t.r.mode {
	case ModeArchive:
		err = writeArchiveTemp(tmp, h, size, src, t.r.zlibLevel)
	case ModeBareUser:
		err = writeBareUserTemp(tmp, h, src)
	case ModeBareUserOnly:
		err = writeBareTemp(tmp, h, src, false)
	default:
		// Ownership is always applied; core.disable-xattrs only drops xattrs.
		hh := *h
		if t.r.disableXattrs {
			hh.Xattrs = nil
		}
		err = writeBareTemp(tmp, &hh, src, true)
	}
	if err != nil {
		os.Remove(tmp)
		return object.Checksum{}, err
	}
	if cr, ok := src.(*countingReader); ok && cr.n != size {
		os.Remove(tmp)
		return object.Checksum{}, fmt.Errorf("file payload is %d bytes, expected %d", cr.n, size)
	}
	c := object.HashSum(hasher)
	if expected != nil && *expected != c {
		os.Remove(tmp)
		return c, fmt.Errorf("corrupted object %s (actual checksum is %s): %w", *expected, c, errdefs.ErrCorrupt)
	}
	if t.r.mode == ModeBareUserOnly && !h.IsSymlink() {
		if bad := h.Mode &^ object.ModeFmt &^ 0o775; bad != 0 {
			os.Remove(tmp)
			return c, fmt.Errorf("Content object %s: invalid mode 0%04o with bits 0%04o: %w", c, h.Mode, bad, errdefs.ErrInvalid)
		}
	}
	t.mu.Lock()
	t.stats.ContentTotal++
	t.mu.Unlock()
	written, err := t.stage(ctx, object.Name{Checksum: c, Type: object.TypeFile}, tmp, size)
	if written {
		t.mu.Lock()
		t.stats.ContentWritten++
		t.stats.ContentBytes += size
		t.mu.Unlock()
	}
	return c, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func writeArchiveTemp(tmp string, h *object.FileHeader, size int64, src io.Reader, level int) error {
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if src == nil {
		src = emptyReader{}
	}
	err = object.WriteArchive(f, h, uint64(size), src, level)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, io.EOF }

func copyPayload(f *os.File, src io.Reader) error {
	if src == nil {
		return nil
	}
	_, err := io.Copy(f, src)
	return err
}

// writeBareUserTemp stores the payload (a symlink's target plus NUL) in
// a regular file and the real metadata in user.ostreemeta.
func writeBareUserTemp(tmp string, h *object.FileHeader, src io.Reader) error {
	perm := os.FileMode(h.Mode&0o775 | 0o400)
	if h.IsSymlink() {
		perm = 0o644
	}
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if h.IsSymlink() {
		_, err = f.Write(append([]byte(h.Target), 0))
	} else {
		err = copyPayload(f, src)
	}
	if err != nil {
		return err
	}
	if err := fsx.Fsetxattr(f, "user.ostreemeta", object.MarshalBareUserMeta(h)); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return fsx.LzeroTimes(tmp)
}

// writeBareTemp stores the file as itself: real owner, mode and xattrs
// (bare), or mode only (bare-user-only); symlinks are real symlinks.
func writeBareTemp(tmp string, h *object.FileHeader, src io.Reader, withOwner bool) error {
	if h.IsSymlink() {
		if err := os.Symlink(h.Target, tmp); err != nil {
			return err
		}
		if withOwner {
			if err := os.Lchown(tmp, int(h.UID), int(h.GID)); err != nil {
				return err
			}
			for _, x := range h.Xattrs {
				if err := fsx.Lsetxattr(tmp, x.Name, x.Value); err != nil {
					return err
				}
			}
		}
		return nil
	}
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := copyPayload(f, src); err != nil {
		return err
	}
	if withOwner {
		if err := f.Chown(int(h.UID), int(h.GID)); err != nil {
			return err
		}
		for _, x := range h.Xattrs {
			if err := fsx.Fsetxattr(f, x.Name, x.Value); err != nil {
				return err
			}
		}
	}
	// chmod after chown, which clears setuid bits.
	if err := os.Chmod(tmp, fileMode(h.Mode)); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return fsx.LzeroTimes(tmp)
}

// fileMode converts st_mode permission bits to an os.FileMode.
func fileMode(m uint32) os.FileMode {
	fm := os.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		fm |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		fm |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		fm |= os.ModeSticky
	}
	return fm
}
