package prepareroot

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// mounts applies mount operations and remembers how to undo each, so that
// a failed run leaves the mount table as it found it.
type mounts struct {
	undo []func()
}

// rollback undoes every recorded step, newest first.
func (m *mounts) rollback() {
	for i := len(m.undo) - 1; i >= 0; i-- {
		m.undo[i]()
	}
	m.undo = nil
}

// onUndo records an extra undo step, such as removing a file written.
func (m *mounts) onUndo(f func()) { m.undo = append(m.undo, f) }

// mount mounts and records the unmount of dst.
func (m *mounts) mount(src, dst, fstype string, flags uintptr, data string) error {
	if err := sysMount(src, dst, fstype, flags, data); err != nil {
		what := src
		if fstype != "" {
			what = fstype
		}
		return fmt.Errorf("mount %s on %s: %w", what, dst, err)
	}
	m.onUndo(func() { unmount(dst) })
	return nil
}

// bind binds src onto dst; ro makes the new mount read-only.
func (m *mounts) bind(src, dst string, ro bool) error {
	if err := m.mount(src, dst, "", unix.MS_BIND|unix.MS_SILENT, ""); err != nil {
		return err
	}
	if ro {
		return remountBind(dst, true)
	}
	return nil
}

// unmount removes the mount on p, lazily when it is busy.
func unmount(p string) {
	if err := sysUnmount(p, 0); errors.Is(err, unix.EBUSY) {
		_ = sysUnmount(p, unix.MNT_DETACH)
	}
}

// keptFlags are the per-mount flags a bind remount must repeat, or the
// kernel clears them (statfs reports them with the MS_ values).
const keptFlags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME

// remountBind makes the mount on p read-only or writable without touching
// the filesystem underneath, which other mounts may share.
func remountBind(p string, ro bool) error {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", p, err)
	}
	flags := uintptr(st.Flags)&keptFlags | unix.MS_REMOUNT | unix.MS_BIND | unix.MS_SILENT
	if ro {
		flags |= unix.MS_RDONLY
	}
	if err := sysMount("", p, "", flags, ""); err != nil {
		return fmt.Errorf("remount %s %s: %w", p, rwName(ro), err)
	}
	return nil
}

func rwName(ro bool) string {
	if ro {
		return "read-only"
	}
	return "read-write"
}

// readOnly reports whether the mount on p is read-only.
func readOnly(p string) (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return false, fmt.Errorf("statfs %s: %w", p, err)
	}
	return st.Flags&unix.ST_RDONLY != 0, nil
}

// isMountPoint reports whether p is the root of a mount.
func isMountPoint(p string) (bool, error) {
	var st unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, p, unix.AT_SYMLINK_NOFOLLOW, 0, &st); err != nil {
		return false, fmt.Errorf("statx %s: %w", p, err)
	}
	if st.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT != 0 {
		return st.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0, nil
	}
	// Kernels before 5.8: a mount of another filesystem changes st_dev.
	var self, parent unix.Stat_t
	if err := unix.Stat(p, &self); err != nil {
		return false, fmt.Errorf("stat %s: %w", p, err)
	}
	if err := unix.Stat(p+"/..", &parent); err != nil {
		return false, fmt.Errorf("stat %s/..: %w", p, err)
	}
	return parent.Dev != self.Dev, nil
}
