package composefs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gostree/gostree/internal/fsverity"
)

// storeFile copies src into the digest store at rel unless something is
// already there: through a temporary file, mode 0644, fsynced, with
// fs-verity enabled where the file system supports it, then renamed into
// place so a reader never sees a partial object.
func storeFile(src *os.File, store, rel string) error {
	dst := filepath.Join(store, rel)
	if !filepath.IsLocal(rel) {
		return fmt.Errorf("digest store path %q escapes the store", rel)
	}
	if _, err := os.Lstat(dst); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(store, ".tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, io.NewSectionReader(src, 0, 1<<62)); err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if ro, err := os.Open(tmp.Name()); err == nil {
		// Best effort, as mkcomposefs: not every file system has verity.
		_ = fsverity.Enable(ro, fsverity.Params{})
		ro.Close()
	}
	return os.Rename(tmp.Name(), dst)
}
