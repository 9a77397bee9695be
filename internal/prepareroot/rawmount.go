package prepareroot

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// mount and umount2 are issued as raw system calls, which the Go scheduler
// does not see. A mount can sleep in the kernel (a propagation change
// waits for RCU); issued through unix.Mount, the runtime's sysmon would
// take the processor from the sleeping thread and wake or start another
// thread that finds nothing to run, which in a one-CPU emulated
// initramfs costs more than the mount. The binary runs one goroutine, so
// nothing else needs the processor meanwhile.

// sysMount is unix.Mount: an empty data string passes NULL, as
// unix.Mount does, since some filesystems refuse an empty option string.
func sysMount(source, target, fstype string, flags uintptr, data string) error {
	src, err := unix.BytePtrFromString(source)
	if err != nil {
		return err
	}
	dst, err := unix.BytePtrFromString(target)
	if err != nil {
		return err
	}
	typ, err := unix.BytePtrFromString(fstype)
	if err != nil {
		return err
	}
	var opts *byte
	if data != "" {
		if opts, err = unix.BytePtrFromString(data); err != nil {
			return err
		}
	}
	_, _, e := unix.RawSyscall6(unix.SYS_MOUNT, uintptr(unsafe.Pointer(src)), uintptr(unsafe.Pointer(dst)),
		uintptr(unsafe.Pointer(typ)), flags, uintptr(unsafe.Pointer(opts)), 0)
	if e != 0 {
		return e
	}
	return nil
}

// sysUnmount is unix.Unmount.
func sysUnmount(target string, flags int) error {
	p, err := unix.BytePtrFromString(target)
	if err != nil {
		return err
	}
	_, _, e := unix.RawSyscall(unix.SYS_UMOUNT2, uintptr(unsafe.Pointer(p)), uintptr(flags), 0)
	if e != 0 {
		return e
	}
	return nil
}
