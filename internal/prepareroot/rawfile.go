package prepareroot

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// The initramfs binary reads and writes its few small files with plain
// system calls instead of os.File: opening a file through os registers it
// with the runtime's netpoller, whose set-up (epoll, eventfd, fcntl) and
// the polling that sysmon then does cost more than the I/O itself in a
// slow guest. Errors look like the os package's.

// readFile is os.ReadFile without an os.File.
func readFile(p string) ([]byte, error) {
	fd, err := openRaw(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	b := make([]byte, 0, 512)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return nil, &fs.PathError{Op: "read", Path: p, Err: err}
		case n == 0:
			return b, nil
		}
		b = b[:len(b)+n]
	}
}

// writeFileAtomic replaces p with data and mode perm through a temporary
// file in the same directory and a rename, as fsx.WriteFileAtomic does
// without fsync. The temporary name holds the process id: the binary
// writes one file at a time, and a leftover of the same name is stale.
func writeFileAtomic(p string, data []byte, perm fs.FileMode) error {
	tmp := filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".tmp"+strconv.Itoa(unix.Getpid()))
	err := writeNew(tmp, data, perm)
	if errors.Is(err, fs.ErrExist) {
		_ = unix.Unlink(tmp)
		err = writeNew(tmp, data, perm)
	}
	if err == nil {
		if err = unix.Rename(tmp, p); err != nil {
			err = &fs.PathError{Op: "rename", Path: tmp, Err: err}
		}
	}
	if err != nil {
		_ = unix.Unlink(tmp)
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// writeNew creates p, which must not exist, with data and mode perm.
func writeNew(p string, data []byte, perm fs.FileMode) error {
	fd, err := openRaw(p, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	for len(data) > 0 && err == nil {
		var n int
		if n, err = unix.Write(fd, data); err == nil {
			data = data[n:]
		} else if errors.Is(err, unix.EINTR) {
			err = nil
		}
	}
	if err != nil {
		err = &fs.PathError{Op: "write", Path: p, Err: err}
	} else if err = unix.Fchmod(fd, uint32(perm.Perm())); err != nil {
		err = &fs.PathError{Op: "chmod", Path: p, Err: err}
	}
	if cerr := unix.Close(fd); err == nil && cerr != nil {
		err = &fs.PathError{Op: "close", Path: p, Err: cerr}
	}
	return err
}

// openRaw is open(2), retried on EINTR, with the os package's error.
func openRaw(p string, flags int, perm uint32) (int, error) {
	for {
		fd, err := unix.Open(p, flags, perm)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: p, Err: err}
		}
		return fd, nil
	}
}
