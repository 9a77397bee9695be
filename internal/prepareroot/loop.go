package prepareroot

import (
	"errors"
	"fmt"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Loop device flags (linux/loop.h), which x/sys/unix does not name.
const (
	loFlagsReadOnly  = 1
	loFlagsAutoclear = 4
	loFlagsDirectIO  = 16
)

// loopBlockSize is the logical block size of the loop device: the EROFS
// block size of composefs images.
const loopBlockSize = 4096

// attachLoop backs a free loop device with the file open on fd: read-only,
// detached automatically when the last user (the mount) goes away. It
// returns the device's path and an open descriptor for it, which the
// caller closes once the device is mounted.
func attachLoop(fd int, name string) (string, int, error) {
	ctl, err := openRaw("/dev/loop-control", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", -1, err
	}
	defer unix.Close(ctl)
	// Another process can take the free device between the two calls;
	// the kernel then answers EBUSY and the next free one is tried.
	for tries := 0; ; tries++ {
		n, errno := ioctl(ctl, unix.LOOP_CTL_GET_FREE, 0)
		if errno != 0 {
			return "", -1, fmt.Errorf("find a free loop device: %w", errno)
		}
		dev := "/dev/loop" + strconv.Itoa(int(n))
		lfd, err := openRaw(dev, unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return "", -1, err
		}
		err = configureLoop(lfd, fd, name)
		if err == nil {
			return dev, lfd, nil
		}
		unix.Close(lfd)
		if !errors.Is(err, unix.EBUSY) || tries == 8 {
			return "", -1, fmt.Errorf("set up %s for %s: %w", dev, name, err)
		}
	}
}

// configureLoop attaches fd to the loop device open on lfd with
// LOOP_CONFIGURE (Linux 5.8), without direct I/O if the backing file
// refuses it, or on older kernels with LOOP_SET_FD and LOOP_SET_STATUS64.
func configureLoop(lfd, fd int, name string) error {
	var cfg unix.LoopConfig
	cfg.Fd = uint32(fd)
	cfg.Size = loopBlockSize
	cfg.Info.Flags = loFlagsReadOnly | loFlagsAutoclear | loFlagsDirectIO
	copy(cfg.Info.File_name[:len(cfg.Info.File_name)-1], name)
	_, errno := ioctlPtr(lfd, unix.LOOP_CONFIGURE, unsafe.Pointer(&cfg))
	if errno == unix.EINVAL {
		cfg.Info.Flags &^= loFlagsDirectIO
		_, errno = ioctlPtr(lfd, unix.LOOP_CONFIGURE, unsafe.Pointer(&cfg))
	}
	if errno != unix.EINVAL && errno != unix.ENOTTY {
		return errnoErr(errno)
	}
	// No LOOP_CONFIGURE. An O_RDONLY backing file makes the device
	// read-only; autoclear is set once the file is attached.
	if _, errno = ioctl(lfd, unix.LOOP_SET_FD, uintptr(fd)); errno != 0 {
		return errno
	}
	info := cfg.Info
	info.Flags = loFlagsAutoclear
	if _, errno = ioctlPtr(lfd, unix.LOOP_SET_STATUS64, unsafe.Pointer(&info)); errno != 0 {
		_, _ = ioctl(lfd, unix.LOOP_CLR_FD, 0)
		return errno
	}
	// Best effort: kernels before 4.14 know only 512-byte blocks.
	_, _ = ioctl(lfd, unix.LOOP_SET_BLOCK_SIZE, loopBlockSize)
	return nil
}

// ioctl is a raw ioctl(2): see rawmount.go for why the scheduler is not
// told.
func ioctl(fd int, req, arg uintptr) (uintptr, unix.Errno) {
	r, _, e := unix.RawSyscall(unix.SYS_IOCTL, uintptr(fd), req, arg)
	return r, e
}

// ioctlPtr is ioctl with a pointer argument, converted only in the call
// itself so that the pointed-to value stays put and alive.
func ioctlPtr(fd int, req uintptr, arg unsafe.Pointer) (uintptr, unix.Errno) {
	r, _, e := unix.RawSyscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	return r, e
}

// errnoErr is nil for 0, the errno otherwise.
func errnoErr(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}
