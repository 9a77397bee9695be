package sysroot

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/fsx"
)

// copier copies files and directories keeping mode, ownership, xattrs
// (unless noXattrs) and timestamps, as glnx_file_copy_at does for the
// /etc merge and for kernels installed across filesystems.
type copier struct {
	noXattrs bool
}

// copyAttrs gives dst the mode, owner, xattrs of the lstat'ed src.
func (c copier) copyAttrs(src, dst string, st *unix.Stat_t) error {
	if err := unix.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("lchown %s: %w", dst, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		if err := unix.Chmod(dst, st.Mode&0o7777); err != nil {
			return fmt.Errorf("chmod %s: %w", dst, err)
		}
	}
	if c.noXattrs {
		return nil
	}
	xs, err := fsx.Lxattrs(src)
	if err != nil {
		return err
	}
	for _, x := range xs {
		if err := fsx.Lsetxattr(dst, x[0], []byte(x[1])); err != nil && !errors.Is(err, unix.ENOTSUP) && !errors.Is(err, unix.EPERM) {
			return fmt.Errorf("setting xattr %s on %s: %w", x[0], dst, err)
		}
	}
	return nil
}

// copyFile copies a regular file or symlink src to dst, replacing dst.
func (c copier) copyFile(src, dst string) error {
	var st unix.Stat_t
	if err := unix.Lstat(src, &st); err != nil {
		return fmt.Errorf("lstat %s: %w", src, err)
	}
	if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFLNK:
		t, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(t, dst); err != nil {
			return err
		}
	case unix.S_IFREG:
		if err := copyRegular(src, dst); err != nil {
			return err
		}
	default:
		return fmt.Errorf("copying %s: not a regular file or symlink", src)
	}
	if err := c.copyAttrs(src, dst, &st); err != nil {
		return err
	}
	ts := []unix.Timespec{st.Atim, st.Mtim}
	return unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// copyRegular copies a regular file's content into a new file dst
// (mode 0600 until the caller sets attributes).
func copyRegular(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return out.Close()
}

// copyDir copies the directory tree src to dst (created if missing).
func (c copier) copyDir(src, dst string) error {
	var st unix.Stat_t
	if err := unix.Lstat(src, &st); err != nil {
		return err
	}
	if err := os.Mkdir(dst, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := c.copyAttrs(src, dst, &st); err != nil {
		return fmt.Errorf("Copying attributes of %s: %w", src, err)
	}
	ents, err := readDirUnsorted(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		s, d := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		if e.IsDir() {
			if err := c.copyDir(s, d); err != nil {
				return err
			}
			continue
		}
		if e.Type()&(fs.ModeSymlink) == 0 && !e.Type().IsRegular() {
			continue
		}
		if err := c.copyFile(s, d); err != nil {
			return fmt.Errorf("Copying %s: %w", e.Name(), err)
		}
	}
	return nil
}
