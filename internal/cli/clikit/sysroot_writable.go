package clikit

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// ensureWritableSysroot does what libostree's admin commands do through
// ostree_sysroot_initialize_with_mount_namespace: on a booted system whose
// /sysroot is read-only (prepare-root's default with composefs), a writer
// run as root moves into a mount namespace of its own and remounts
// /sysroot read-write there, leaving the rest of the system's view alone.
// A Go process cannot move all its threads into a new namespace, so the
// calling thread unshares, remounts and re-executes the binary, which then
// runs whole in the new namespace and finds /sysroot writable. It returns
// only when nothing is to be done, or with an error.
func ensureWritableSysroot(path string) error {
	if abs, err := filepath.Abs(path); err != nil || abs != "/" || os.Geteuid() != 0 {
		return nil
	}
	if _, err := os.Stat("/run/ostree-booted"); err != nil {
		return nil
	}
	var st unix.Statfs_t
	if err := unix.Statfs("/sysroot", &st); err != nil || st.Flags&unix.ST_RDONLY == 0 {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	runtime.LockOSThread() // never unlocked: this thread execs or the command fails
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("Failed to invoke unshare(CLONE_NEWNS): %w", err)
	}
	// Nothing mounted here may reach the host's namespace.
	if err := unix.Mount("none", "/", "", unix.MS_REC|unix.MS_SLAVE, ""); err != nil {
		return fmt.Errorf("making / a slave mount: %w", err)
	}
	if err := unix.Mount("/sysroot", "/sysroot", "", unix.MS_REMOUNT|unix.MS_RELATIME, ""); err != nil {
		return fmt.Errorf("Remounting /sysroot read-write: %w", err)
	}
	return syscall.Exec(exe, os.Args, os.Environ())
}
