package fsverity

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/testutil"
)

// kernelHasVerity reports whether ext4 in this kernel can do fs-verity
// (CONFIG_FS_VERITY); without it every verity ioctl fails with EOPNOTSUPP.
func kernelHasVerity() bool {
	_, err := os.Stat("/sys/fs/ext4/features/verity")
	return err == nil
}

// makeExt4 creates a 64 MiB ext4 image with 4 KiB blocks, with or without
// the verity feature (testutil.MakeExt4: mkfs.ext4, or a template in the
// tests/boot guest, which has no e2fsprogs).
func makeExt4(t *testing.T, verity bool) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "ext4.img")
	testutil.MakeExt4(t, img, verity)
	return img
}

// loopMount is an ext4 image mounted through a loop device of its own.
type loopMount struct {
	t    *testing.T
	img  string
	dir  string
	dev  string   // empty when not mounted
	loop *os.File // the loop device, open while mounted
}

// mountImage attaches img to a free loop device and mounts it on a new
// directory; the mount and the loop device go away at the end of the test.
func mountImage(t *testing.T, img string) *loopMount {
	t.Helper()
	testutil.RequiresRoot(t)
	m := &loopMount{t: t, img: img, dir: t.TempDir()}
	m.mount()
	t.Cleanup(m.unmount)
	return m
}

func (m *loopMount) mount() {
	m.t.Helper()
	dev, loop, err := attachLoop(m.img)
	if err != nil {
		testutil.Skip(m.t, "cannot attach a loop device: "+err.Error())
	}
	if err := unix.Mount(dev, m.dir, "ext4", 0, ""); err != nil {
		_ = unix.IoctlSetInt(int(loop.Fd()), unix.LOOP_CLR_FD, 0)
		loop.Close()
		testutil.Skip(m.t, "cannot mount ext4 from "+dev+": "+err.Error())
	}
	m.dev, m.loop = dev, loop
}

// attachLoop backs a free loop device with img (LOOP_SET_FD; another
// process may take the free device first, then the next one is tried) and
// returns its path and an open descriptor for detaching it. No losetup:
// the tests/boot guest has only busybox.
func attachLoop(img string) (string, *os.File, error) {
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		return "", nil, err
	}
	defer ctl.Close()
	backing, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		return "", nil, err
	}
	defer backing.Close() // the loop device holds its own reference
	for tries := 0; ; tries++ {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return "", nil, fmt.Errorf("LOOP_CTL_GET_FREE: %w", err)
		}
		dev := fmt.Sprintf("/dev/loop%d", n)
		loop, err := os.OpenFile(dev, os.O_RDWR, 0)
		if err != nil {
			return "", nil, err
		}
		err = unix.IoctlSetInt(int(loop.Fd()), unix.LOOP_SET_FD, int(backing.Fd()))
		if err == nil {
			return dev, loop, nil
		}
		loop.Close()
		if !errors.Is(err, unix.EBUSY) || tries == 8 {
			return "", nil, fmt.Errorf("LOOP_SET_FD %s: %w", dev, err)
		}
	}
}

// unmount unmounts and detaches the loop device; it is idempotent.
func (m *loopMount) unmount() {
	if m.dev == "" {
		return
	}
	if err := unix.Unmount(m.dir, 0); err != nil {
		m.t.Errorf("unmount %s: %v", m.dir, err)
		_ = unix.Unmount(m.dir, unix.MNT_DETACH)
	}
	if err := unix.IoctlSetInt(int(m.loop.Fd()), unix.LOOP_CLR_FD, 0); err != nil {
		m.t.Errorf("detach %s: %v", m.dev, err)
	}
	m.loop.Close()
	m.dev, m.loop = "", nil
}

// path names a file on the mounted filesystem.
func (m *loopMount) path(name string) string { return filepath.Join(m.dir, name) }

// mountTmpfs mounts a fresh tmpfs for the rest of the test.
func mountTmpfs(t *testing.T) string {
	t.Helper()
	testutil.RequiresRoot(t)
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=16m"); err != nil {
		testutil.Skip(t, "cannot mount a tmpfs: "+err.Error())
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			t.Errorf("unmount tmpfs %s: %v", dir, err)
		}
	})
	return dir
}
