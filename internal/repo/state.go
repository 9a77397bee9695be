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
	data := []byte{}
	if byFsck {
		data = []byte("f")
	}
	return fsx.WriteFileAtomic(r.partialPath(c), data, 0o644, r.fsync)
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
