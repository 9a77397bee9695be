package testutil

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Ext4TemplatesEnv names a directory holding empty ext4 images made ahead
// of time (Ext4TemplateName), for machines without mkfs.ext4: the
// fs-verity guest of tests/boot runs test binaries in a busybox initramfs.
const Ext4TemplatesEnv = "GOSTREE_TEST_EXT4_TEMPLATES"

// RequireFsverityEnv, when set, makes tests that probe the kernel for
// fs-verity fail instead of checking the refusals: the tests/boot guest
// sets it, because its kernel has fs-verity and the positive paths must run.
const RequireFsverityEnv = "GOSTREE_TEST_REQUIRE_FSVERITY"

// FsverityRequired reports whether RequireFsverityEnv is set.
func FsverityRequired() bool { return os.Getenv(RequireFsverityEnv) != "" }

// Ext4Size is the size of the images MakeExt4 makes.
const Ext4Size = 64 << 20

// Ext4TemplateName is the file name of the template MakeExt4 copies.
func Ext4TemplateName(verity bool) string {
	if verity {
		return "ext4-verity-64M.img"
	}
	return "ext4-64M.img"
}

// Ext4MkfsArgs are the mkfs.ext4 arguments (before the image and size) of
// MakeExt4's images: 4 KiB blocks, the verity feature when asked.
func Ext4MkfsArgs(verity bool) []string {
	args := []string{"-q", "-F", "-b", "4096"}
	if verity {
		args = append(args, "-O", "verity")
	}
	return args
}

// MakeExt4 writes an empty 64 MiB ext4 image with 4 KiB blocks (and the
// verity feature when asked) to img: a sparse copy of the template in
// $GOSTREE_TEST_EXT4_TEMPLATES when set, else mkfs.ext4 (skipping without it).
func MakeExt4(t testing.TB, img string, verity bool) {
	t.Helper()
	if dir := os.Getenv(Ext4TemplatesEnv); dir != "" {
		if err := sparseCopy(filepath.Join(dir, Ext4TemplateName(verity)), img); err != nil {
			t.Fatalf("ext4 template: %v", err)
		}
		return
	}
	mkfs := RequiresTool(t, "mkfs.ext4")
	args := append(Ext4MkfsArgs(verity), img, "64M")
	if out, err := exec.Command(mkfs, args...).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4 %v: %v\n%s", args, err, out)
	}
}

// sparseCopy copies src to dst, seeking over zero blocks.
func sparseCopy(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	buf, zero := make([]byte, 64<<10), make([]byte, 64<<10)
	var size int64
	for {
		n, rerr := io.ReadFull(in, buf)
		if n > 0 {
			if bytes.Equal(buf[:n], zero[:n]) {
				_, err = out.Seek(int64(n), io.SeekCurrent)
			} else {
				_, err = out.Write(buf[:n])
			}
			if err != nil {
				out.Close()
				return err
			}
			size += int64(n)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			out.Close()
			return rerr
		}
	}
	if err := out.Truncate(size); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
