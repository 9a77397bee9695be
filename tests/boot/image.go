package boot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
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

// OverwriteFileByte flips the byte at offset 100 of the nth filesystem
// block of path (absolute, inside the image) in an unmounted ext4 image,
// under the filesystem (located with debugfs): fs-verity must catch it.
func OverwriteFileByte(ctx context.Context, img, path string, n int) error {
	out, err := run(ctx, "", "debugfs", "-R", "blocks "+path, img)
	if err != nil {
		return err
	}
	blocks := strings.Fields(out)
	if len(blocks) <= n {
		return fmt.Errorf("debugfs lists %d blocks for %s: %q", len(blocks), path, out)
	}
	blk, err := strconv.ParseInt(blocks[n], 10, 64)
	if err != nil {
		return fmt.Errorf("debugfs block %q: %w", blocks[n], err)
	}
	bs, err := blockSize(ctx, img)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	b := make([]byte, 1)
	off := blk*bs + 100
	if _, err := f.ReadAt(b, off); err != nil {
		return err
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		return err
	}
	return f.Sync()
}

// blockSize is the block size of an ext4 image.
func blockSize(ctx context.Context, img string) (int64, error) {
	out, err := run(ctx, "", "dumpe2fs", "-h", img)
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "Block size:"); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("dumpe2fs -h %s: no block size", img)
}

// Relink makes dst (absolute, inside an unmounted ext4 image) name the
// inode of src, as a swap of one file for another under the filesystem
// would: debugfs unlinks dst and links src there; Fsck then fixes the
// link counts.
func Relink(ctx context.Context, img, src, dst string) error {
	if _, err := run(ctx, "", "debugfs", "-w", "-R", "unlink "+dst, img); err != nil {
		return err
	}
	if _, err := run(ctx, "", "debugfs", "-w", "-R", "link "+src+" "+dst, img); err != nil {
		return err
	}
	if _, err := Fsck(ctx, img); err != nil {
		return err
	}
	a, err := inodeOf(ctx, img, src)
	if err != nil {
		return err
	}
	if b, err := inodeOf(ctx, img, dst); err != nil || a != b {
		return fmt.Errorf("relink %s to %s: inode %s, want %s (%v)", dst, src, b, a, err)
	}
	return nil
}

// inodeOf is the inode number of path in an ext4 image.
func inodeOf(ctx context.Context, img, path string) (string, error) {
	out, err := run(ctx, "", "debugfs", "-R", "stat "+path, img)
	if err != nil {
		return "", err
	}
	if f := strings.Fields(out); len(f) > 1 && f[0] == "Inode:" {
		return f[1], nil
	}
	return "", fmt.Errorf("debugfs stat %s: %q", path, tail(out, 2))
}
