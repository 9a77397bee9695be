package repo

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
)

// LinkObject stages an object by hard-linking src, a loose object of
// another repository in the same mode, without reading or verifying it;
// callers use it only for sources they trust, as libostree does for
// local pulls. It reports false (and no error) when src does not exist
// or the filesystem cannot link it, so the caller copies instead. The
// caller has found the object missing from the store (Txn.HasObject).
func (t *Txn) LinkObject(ctx context.Context, name object.Name, src string) (bool, error) {
	written, err := t.linkStaged(name, src)
	if err != nil || !written.ok {
		return false, err
	}
	t.mu.Lock()
	if name.Type.IsMeta() {
		t.stats.MetadataTotal++
		if written.new {
			t.stats.MetadataWritten++
		}
	} else {
		t.stats.ContentTotal++
		if written.new {
			t.stats.ContentWritten++
		}
	}
	t.mu.Unlock()
	return true, nil
}

// ObjectsOwner returns the device and owner of the objects directory;
// libostree hard-links between repos only when both match.
func (r *Repo) ObjectsOwner() (dev uint64, uid uint32, err error) {
	st, err := os.Stat(filepath.Join(r.path, "objects"))
	if err != nil {
		return 0, 0, err
	}
	s := st.Sys().(*syscall.Stat_t)
	return uint64(s.Dev), s.Uid, nil
}

// WriteFileVerified stores a content object that must have checksum c,
// through the same fast path as WriteTrustedFile, but hashes the payload
// as it is written and drops the staged object unless it matches: pulls
// copy objects between modes this way, reading the source once. It
// reports whether the object was newly staged.
func (t *Txn) WriteFileVerified(ctx context.Context, c object.Checksum, h *object.FileHeader, size int64, payload io.Reader) (bool, error) {
	hasher := object.NewFileHasher(h)
	if payload != nil && !h.IsSymlink() {
		payload = io.TeeReader(payload, hasher)
	}
	written, _, err := t.WriteTrustedFile(ctx, c, h, size, payload)
	if err != nil {
		return false, err
	}
	if got := object.HashSum(hasher); got != c {
		if written {
			name := object.Name{Checksum: c, Type: object.TypeFile}
			t.unstage(name)
			t.mu.Lock()
			t.stats.ContentWritten--
			t.stats.ContentBytes -= size
			t.mu.Unlock()
		}
		return false, fmt.Errorf("Corrupted file object; checksum expected='%s' actual='%s': %w", c, got, errdefs.ErrCorrupt)
	}
	return written, nil
}
