package sysroot

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// UpdatePostCopy is `admin post-copy` (libostree 2023.11+): after the
// sysroot was copied file by file, which loses fs-verity, it is enabled
// again where the repository wants it, on the loose objects and on every
// deployment directory's composefs image. Nothing happens when the repo
// wants no fs-verity; on a filesystem without it, "maybe" stops quietly
// and "yes" fails.
func (s *Sysroot) UpdatePostCopy(ctx context.Context) error {
	r, err := s.Repo(ctx)
	if err != nil {
		return err
	}
	if r.VerityWanted() == repo.No {
		return nil
	}
	err = r.ListObjects(ctx, func(n object.Name) error {
		return sealRegular(r, r.ObjectPath(n.Checksum, n.Type))
	})
	if err != nil {
		return err
	}
	// Every deployment directory, listed or not, as libostree walks them.
	dirs, err := filepath.Glob(s.Abs("ostree/deploy/*/deploy/*"))
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if strings.HasSuffix(d, ".origin") {
			continue
		}
		if err := sealRegular(r, filepath.Join(d, ".ostree.cfs")); err != nil {
			return err
		}
	}
	return nil
}

// sealRegular enables fs-verity on path if it is a regular file; a
// missing file or a symlink is left alone.
func sealRegular(r *repo.Repo, path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return nil
	}
	return r.SealFile(path)
}
