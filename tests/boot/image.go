package boot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// Fsck replays the journal and repairs img (e2fsck -fy): guests power off
// without unmounting, and debugfs or a loop mount must not see a stale
// journal. Exit codes 1 and 2 (errors fixed) are fine; worse is an error.
func Fsck(ctx context.Context, img string) (string, error) {
	out, err := run(ctx, "", "e2fsck", "-fy", img)
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() <= 2 {
			return out, nil
		}
		return out, fmt.Errorf("fsck %s: %w", img, err)
	}
	return out, nil
}

// ReadFile reads path (absolute, inside the image; symlinks followed) from an
// ext4 image with debugfs. Run Fsck first on a guest-written image.
func ReadFile(ctx context.Context, img, path string) (string, error) {
	out, err := run(ctx, "", "debugfs", "-R", "cat "+path, img)
	if err != nil {
		return "", fmt.Errorf("read %s from %s: %w", path, img, err)
	}
	return out, nil
}

// Mounted mounts img read-write on a temporary directory through a loop
// device, runs f with that directory, and unmounts it.
func Mounted(ctx context.Context, img string, f func(dir string) error) error {
	dir, err := os.MkdirTemp("", "gostree-boot-mnt-")
	if err != nil {
		return err
	}
	defer os.Remove(dir)
	if _, err := run(ctx, "", "mount", "-o", "loop", img, dir); err != nil {
		return fmt.Errorf("mount %s: %w", img, err)
	}
	ferr := f(dir)
	if _, err := run(ctx, "", "umount", dir); err != nil {
		syscall.Unmount(dir, syscall.MNT_DETACH)
		if ferr == nil {
			ferr = fmt.Errorf("umount %s: %w", dir, err)
		}
	}
	return ferr
}

// GrubEnv reads boot/grub/grubenv from a sysroot image as key=value pairs.
func GrubEnv(ctx context.Context, img string) (map[string]string, error) {
	out, err := ReadFile(ctx, img, "/boot/grub/grubenv")
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
			env[k] = v
		}
	}
	return env, nil
}

// RemoveTree removes dir, first clearing the immutable flag gostree puts on
// deployment roots (chattr -i), which otherwise blocks the removal.
func RemoveTree(dir string) error {
	exec.Command("chattr", "-R", "-f", "-i", dir).Run() // best effort; RemoveAll reports what remains
	return os.RemoveAll(dir)
}
