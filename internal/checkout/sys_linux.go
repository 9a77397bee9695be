package checkout

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/object"
)

// openDirAt opens name below dfd as a directory. Below the checkout root
// follow is false: a symlink planted in the destination is refused rather
// than followed out of it.
func openDirAt(dfd int, name string, follow bool) (int, error) {
	flags := unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC
	if !follow {
		flags |= unix.O_NOFOLLOW
	}
	for {
		fd, err := unix.Openat(dfd, name, flags, 0)
		if err == unix.EINTR {
			continue
		}
		return fd, err
	}
}

// futimensEpoch sets a directory's mtime to 0 and leaves its atime, as
// libostree does for every directory it creates.
func futimensEpoch(fd int) error {
	ts := [2]unix.Timespec{{Sec: 0, Nsec: unix.UTIME_OMIT}, {Sec: 0, Nsec: 0}}
	_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func procPath(fd int, name string) string {
	p := "/proc/self/fd/" + strconv.Itoa(fd)
	if name != "" {
		p += "/" + name
	}
	return p
}

// setXattrsFd sets every attribute on an open file or directory.
func setXattrsFd(fd int, xattrs object.Xattrs) error {
	for _, x := range xattrs {
		if err := unix.Fsetxattr(fd, x.Name, x.Value, 0); err != nil {
			return fmt.Errorf("fsetxattr(%s): %w", x.Name, sysErr(err))
		}
	}
	return nil
}

// setXattrsAt sets every attribute on name below dfd without following
// it (symlinks and device nodes cannot be opened for this).
func setXattrsAt(dfd int, name string, xattrs object.Xattrs) error {
	if len(xattrs) == 0 {
		return nil
	}
	p := procPath(dfd, name)
	for _, x := range xattrs {
		if err := unix.Lsetxattr(p, x.Name, x.Value, 0); err != nil {
			return fmt.Errorf("lsetxattr(%s): %w", x.Name, sysErr(err))
		}
	}
	return nil
}

// tmpFile is a file being written in a directory, not yet linked under
// its final name: an O_TMPFILE inode, or a hidden temporary name where
// O_TMPFILE is unsupported.
type tmpFile struct {
	f       *os.File
	dfd     int
	tmpName string // "" for O_TMPFILE
}

func randomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// openTmpFile creates an unnamed file in dfd for writing.
func openTmpFile(dfd int) (*tmpFile, error) {
	fd, err := unix.Openat(dfd, ".", unix.O_WRONLY|unix.O_TMPFILE|unix.O_CLOEXEC, 0o600)
	if err == nil {
		return &tmpFile{f: os.NewFile(uintptr(fd), "tmpfile"), dfd: dfd}, nil
	}
	if !errors.Is(err, unix.EOPNOTSUPP) && !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EINVAL) {
		return nil, fmt.Errorf("open tmpfile: %w", sysErr(err))
	}
	for range 100 {
		name := randomName(".tmp-checkout-")
		fd, err := unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if errors.Is(err, unix.EEXIST) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("open tmpfile: %w", sysErr(err))
		}
		return &tmpFile{f: os.NewFile(uintptr(fd), name), dfd: dfd, tmpName: name}, nil
	}
	return nil, fmt.Errorf("open tmpfile: %w", sysErr(unix.EEXIST))
}

// linkMode says how a finished tmpFile takes its final name.
type linkMode int

const (
	linkNoReplace   linkMode = iota // fail if the name exists
	linkReplace                     // atomically replace a file
	linkIgnoreExist                 // keep what exists, drop ours
)

// link gives the file its final name in its directory and closes it.
func (t *tmpFile) link(name string, mode linkMode) error {
	return t.linkAt(t.dfd, name, mode)
}

// linkAt gives the file its final name below dfd, which must be on the
// same filesystem, and closes it.
func (t *tmpFile) linkAt(dfd int, name string, mode linkMode) error {
	defer t.discard()
	if t.tmpName != "" {
		return t.renameInto(dfd, name, mode)
	}
	src := procPath(int(t.f.Fd()), "")
	if mode == linkReplace {
		for range 100 {
			tmp := randomName(".tmp-checkout-")
			err := linkTmpFd(int(t.f.Fd()), src, dfd, tmp)
			if errors.Is(err, unix.EEXIST) {
				continue
			}
			if err != nil {
				return fmt.Errorf("linkat: %w", sysErr(err))
			}
			if err := unix.Renameat(dfd, tmp, dfd, name); err != nil {
				_ = unix.Unlinkat(dfd, tmp, 0)
				return fmt.Errorf("renameat(%s): %w", name, sysErr(err))
			}
			return nil
		}
		return fmt.Errorf("linkat: %w", sysErr(unix.EEXIST))
	}
	err := linkTmpFd(int(t.f.Fd()), src, dfd, name)
	if err == nil || (mode == linkIgnoreExist && errors.Is(err, unix.EEXIST)) {
		return nil
	}
	return fmt.Errorf("linkat: %w", sysErr(err))
}

func (t *tmpFile) renameInto(dfd int, name string, mode linkMode) error {
	var err error
	if mode == linkReplace {
		err = unix.Renameat(t.dfd, t.tmpName, dfd, name)
	} else {
		err = unix.Renameat2(t.dfd, t.tmpName, dfd, name, unix.RENAME_NOREPLACE)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
			if err = unix.Linkat(t.dfd, t.tmpName, dfd, name, 0); err == nil {
				err = unix.Unlinkat(t.dfd, t.tmpName, 0)
			}
		}
		if mode == linkIgnoreExist && errors.Is(err, unix.EEXIST) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("linkat: %w", sysErr(err))
	}
	t.tmpName = ""
	return nil
}

// discard closes the file and removes its temporary name, if any.
func (t *tmpFile) discard() {
	if t.f != nil {
		t.f.Close()
		t.f = nil
	}
	if t.tmpName != "" {
		_ = unix.Unlinkat(t.dfd, t.tmpName, 0)
		t.tmpName = ""
	}
}

// rmrfAt removes name below dfd and everything under it, never
// following symlinks. A missing name is not an error.
func rmrfAt(dfd int, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	err := unix.Unlinkat(dfd, name, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("unlinkat(%s): %w", name, sysErr(err))
	}
	fd, err := openDirAt(dfd, name, false)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("opendir(%s): %w", name, sysErr(err))
	}
	d := os.NewFile(uintptr(fd), name)
	names, err := d.Readdirnames(-1)
	if err != nil {
		d.Close()
		return fmt.Errorf("readdir(%s): %w", name, sysErr(err))
	}
	for _, n := range names {
		if err := rmrfAt(fd, n); err != nil {
			d.Close()
			return err
		}
	}
	d.Close()
	if err := unix.Unlinkat(dfd, name, unix.AT_REMOVEDIR); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unlinkat(%s): %w", name, sysErr(err))
	}
	return nil
}

// checkName rejects names that could leave the directory they are
// resolved in.
func checkName(name string) error {
	if err := object.ValidateFilename(name); err != nil {
		return fmt.Errorf("%w: %v", errUnsafeName, err)
	}
	return nil
}

var errUnsafeName = errors.New("unsafe name")

// errnoError words a system error as glibc's strerror does ("File
// exists"), which is what libostree prints and scripts grep for.
type errnoError struct{ errno unix.Errno }

func (e errnoError) Error() string {
	s := e.errno.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (e errnoError) Unwrap() error { return e.errno }

// sysErr wraps a bare errno for printing; other errors pass unchanged.
func sysErr(err error) error {
	if en, ok := err.(unix.Errno); ok {
		return errnoError{en}
	}
	return err
}

// emptyPathLink is cleared once linkat(AT_EMPTY_PATH) turns out to need a
// capability this process lacks.
var emptyPathLink atomic.Bool

func init() { emptyPathLink.Store(true) }

// linkTmpFd gives an O_TMPFILE inode a name: directly through its fd
// when allowed (CAP_DAC_READ_SEARCH), else through /proc/self/fd.
func linkTmpFd(fd int, procSrc string, dfd int, name string) error {
	if emptyPathLink.Load() {
		err := unix.Linkat(fd, "", dfd, name, unix.AT_EMPTY_PATH)
		if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EPERM) {
			return err
		}
		emptyPathLink.Store(false)
	}
	return unix.Linkat(unix.AT_FDCWD, procSrc, dfd, name, unix.AT_SYMLINK_FOLLOW)
}
