package repo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/object"
)

func (r *Repo) partialPath(c object.Checksum) string {
	return filepath.Join(r.path, "state", c.String()+".commitpartial")
}

// MarkPartial records that commit c is present but its tree is not
// complete. fsck marks with "f", pulls with an empty file.
func (r *Repo) MarkPartial(c object.Checksum, byFsck bool) error {
	if err := os.MkdirAll(filepath.Join(r.path, "state"), 0o755); err != nil {
		return err
	}
	if !byFsck {
		// An empty marker is created, not replaced, and not synced, as
		// libostree's pull does: it only has to exist, and the syncs
		// cost two journal commits at the start of every pull.
		f, err := os.OpenFile(r.partialPath(c), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("mark commit %s partial: %w", c, err)
		}
		return f.Close()
	}
	return fsx.WriteFileAtomic(r.partialPath(c), []byte("f"), 0o644, r.fsync)
}

// ClearPartial removes the commitpartial marker of c.
func (r *Repo) ClearPartial(c object.Checksum) error {
	if err := os.Remove(r.partialPath(c)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clear commitpartial %s: %w", c, err)
	}
	return nil
}

// IsPartial reports whether commit c is marked partial.
func (r *Repo) IsPartial(c object.Checksum) (bool, error) {
	_, err := os.Stat(r.partialPath(c))
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

func writeAtomic(p string, b []byte, sync bool) error {
	return fsx.WriteFileAtomic(p, b, 0o644, sync)
}
