package fsverity

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
// the verity feature.
func makeExt4(t *testing.T, verity bool) string {
	t.Helper()
	mkfs := testutil.RequiresTool(t, "mkfs.ext4")
	img := filepath.Join(t.TempDir(), "ext4.img")
	args := []string{"-q", "-F", "-b", "4096"}
	if verity {
		args = append(args, "-O", "verity")
	}
	if out, err := exec.Command(mkfs, append(args, img, "64M")...).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4 %v: %v\n%s", args, err, out)
	}
	return img
}

// loopMount is an ext4 image mounted through a loop device of its own.
type loopMount struct {
	t   *testing.T
	img string
	dir string
	dev string // empty when not mounted
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
	losetup := testutil.RequiresTool(m.t, "losetup")
	out, err := exec.Command(losetup, "--find", "--show", m.img).CombinedOutput()
	if err != nil {
		testutil.Skip(m.t, "cannot attach a loop device: "+strings.TrimSpace(string(out)))
	}
	dev := strings.TrimSpace(string(out))
	if err := unix.Mount(dev, m.dir, "ext4", 0, ""); err != nil {
		_ = exec.Command(losetup, "-d", dev).Run()
		testutil.Skip(m.t, "cannot mount ext4 from "+dev+": "+err.Error())
	}
	m.dev = dev
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
	if out, err := exec.Command("losetup", "-d", m.dev).CombinedOutput(); err != nil {
		m.t.Errorf("losetup -d %s: %v\n%s", m.dev, err, out)
	}
	m.dev = ""
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
