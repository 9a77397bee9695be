package fsx

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Lxattrs lists the extended attributes of path without following a
// final symlink. Names are returned with their values.
func Lxattrs(path string) ([][2]string, error) {
	size, err := unix.Llistxattr(path, nil)
	if err != nil {
		if errors.Is(err, unix.ENOTSUP) {
			return nil, nil
		}
		return nil, fmt.Errorf("list xattrs of %s: %w", path, err)
	}
	if size == 0 {
		return nil, nil
	}
	buf := make([]byte, size)
	if size, err = unix.Llistxattr(path, buf); err != nil {
		return nil, fmt.Errorf("list xattrs of %s: %w", path, err)
	}
	var out [][2]string
	for _, name := range strings.Split(strings.TrimRight(string(buf[:size]), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		v, err := Lgetxattr(path, name)
		if err != nil {
			return nil, err
		}
		out = append(out, [2]string{name, string(v)})
	}
	return out, nil
}

// Lgetxattr reads one attribute without following a final symlink.
func Lgetxattr(path, name string) ([]byte, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Lgetxattr(path, name, buf)
		if errors.Is(err, unix.ERANGE) {
			sz, err2 := unix.Lgetxattr(path, name, nil)
			if err2 != nil {
				return nil, fmt.Errorf("get xattr %s of %s: %w", name, path, err2)
			}
			buf = make([]byte, sz)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("get xattr %s of %s: %w", name, path, err)
		}
		return buf[:n], nil
	}
}

// Fgetxattr reads one attribute of an open file.
func Fgetxattr(f *os.File, name string) ([]byte, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Fgetxattr(int(f.Fd()), name, buf)
		if errors.Is(err, unix.ERANGE) {
			sz, err2 := unix.Fgetxattr(int(f.Fd()), name, nil)
			if err2 != nil {
				return nil, err2
			}
			buf = make([]byte, sz)
			continue
		}
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
}

// Lsetxattr sets an attribute without following a final symlink.
func Lsetxattr(path, name string, value []byte) error {
	if err := unix.Lsetxattr(path, name, value, 0); err != nil {
		return fmt.Errorf("set xattr %s on %s: %w", name, path, err)
	}
	return nil
}

// Fsetxattr sets an attribute on an open file.
func Fsetxattr(f *os.File, name string, value []byte) error {
	if err := unix.Fsetxattr(int(f.Fd()), name, value, 0); err != nil {
		return fmt.Errorf("set xattr %s on %s: %w", name, f.Name(), err)
	}
	return nil
}

// LzeroTimes sets atime and mtime of path (not following symlinks) to
// the epoch, as libostree stores bare objects.
func LzeroTimes(path string) error {
	ts := []unix.Timespec{{Sec: 0}, {Sec: 0}}
	return unix.UtimesNanoAt(unix.AT_FDCWD, path, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// Syncfs flushes the filesystem holding path.
func Syncfs(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("syncfs %s: %w", path, err)
	}
	return nil
}

// FreeSpace returns the bytes available to unprivileged users and the
// filesystem's total size.
func FreeSpace(path string) (avail, total uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", path, err)
	}
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), nil
}

// Flock takes or releases an advisory lock on f without blocking.
func Flock(f *os.File, how int) error {
	return unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
}

// Lock kinds for Flock.
const (
	LockShared    = unix.LOCK_SH
	LockExclusive = unix.LOCK_EX
	LockUnlock    = unix.LOCK_UN
)

// FDReader reads a raw file descriptor, retrying on EINTR; it spares hot
// paths the *os.File machinery.
type FDReader struct{ FD int }

func (r FDReader) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(r.FD, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 && len(p) > 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}
