package fsverity

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/testutil"
)

// writeFile creates name with data and returns it opened read-only, the
// way Enable wants it.
func writeFile(t *testing.T, name string, data []byte) *os.File {
	t.Helper()
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// wantErr checks err wraps sentinel and names the file.
func wantErr(t *testing.T, what string, err, sentinel error, f *os.File) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Errorf("%s: %v, want %v", what, err, sentinel)
		return
	}
	if !strings.Contains(err.Error(), f.Name()) {
		t.Errorf("%s: error %q does not name %s", what, err, f.Name())
	}
}

// TestNotSupported: filesystems without fs-verity refuse both ioctls with
// ErrNotSupported, and the errno stays reachable.
func TestNotSupported(t *testing.T) {
	t.Run("tmpfs", func(t *testing.T) {
		f := writeFile(t, mountTmpfs(t)+"/file", []byte("data"))
		err := Enable(f, Params{})
		wantErr(t, "Enable on tmpfs", err, ErrNotSupported, f)
		if !errors.Is(err, unix.ENOTTY) && !errors.Is(err, unix.EOPNOTSUPP) {
			t.Errorf("Enable on tmpfs: %v does not wrap the errno", err)
		}
		_, err = Measure(f)
		wantErr(t, "Measure on tmpfs", err, ErrNotSupported, f)
	})
	t.Run("ext4_without_verity_feature", func(t *testing.T) {
		m := mountImage(t, makeExt4(t, false))
		f := writeFile(t, m.path("file"), []byte("data"))
		wantErr(t, "Enable", Enable(f, Params{}), ErrNotSupported, f)
		_, err := Measure(f)
		wantErr(t, "Measure", err, ErrNotSupported, f)
	})
}

func TestEnableInvalidParams(t *testing.T) {
	f, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Enable(f, Params{BlockSize: 1000}); !errors.Is(err, ErrInvalidParams) {
		t.Errorf("Enable with block size 1000: %v", err)
	}
}

// TestEnableMeasureExt4 enables verity on an ext4 image with the verity
// feature: Measure equals Sum, the file becomes read-only, and a data block
// corrupted underneath the filesystem reads back as EIO.
func TestEnableMeasureExt4(t *testing.T) {
	img := makeExt4(t, true)
	m := mountImage(t, img)
	data := randomData(1<<20+5000, 11)
	f := writeFile(t, m.path("file"), data)
	if !kernelHasVerity() {
		if testutil.FsverityRequired() {
			t.Fatalf("%s is set but this kernel has no fs-verity (no /sys/fs/ext4/features/verity)", testutil.RequireFsverityEnv)
		}
		// What this kernel really does. The rest runs in a guest with
		// Debian's 6.12 kernel instead: tests/boot TestFsverityGuest runs
		// this test binary there with GOSTREE_TEST_REQUIRE_FSVERITY set.
		wantErr(t, "Enable without CONFIG_FS_VERITY", Enable(f, Params{}), ErrNotSupported, f)
		t.Log("kernel without fs-verity: the positive path is tests/boot TestFsverityGuest's")
		return
	}

	_, err := Measure(f)
	wantErr(t, "Measure before Enable", err, ErrNotEnabled, f)

	w, err := os.OpenFile(f.Name(), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	err = Enable(f, Params{})
	wantErr(t, "Enable with a writer open", err, ErrOpenForWriting, f)
	if !errors.Is(err, unix.ETXTBSY) {
		t.Errorf("Enable with a writer open: %v does not wrap ETXTBSY", err)
	}
	w.Close()

	if err := Enable(f, Params{}); err != nil {
		t.Fatal(err)
	}
	checkMeasure(t, f, data, Params{})
	err = Enable(f, Params{})
	wantErr(t, "Enable twice", err, ErrAlreadyEnabled, f)
	if !errors.Is(err, unix.EEXIST) {
		t.Errorf("Enable twice: %v does not wrap EEXIST", err)
	}
	if w, err := os.OpenFile(f.Name(), os.O_WRONLY, 0); err == nil {
		w.Close()
		t.Error("a verity file opened for writing")
	}

	// Other parameters, and the empty file whose root hash is all zeros.
	for name, c := range map[string]struct {
		p    Params
		size int
	}{
		"salted": {Params{Salt: randomData(MaxSaltSize, 12)}, 70000},
		"empty":  {Params{}, 0},
		"small":  {Params{Salt: []byte{7}}, 1},
	} {
		d := randomData(c.size, 13)
		g := writeFile(t, m.path(name), d)
		if err := Enable(g, c.p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkMeasure(t, g, d, c.p)
		g.Close()
	}

	f.Close() // open files keep the filesystem busy
	corruptDataBlock(t, m, "file", 1)
	f, err = os.Open(m.path("file"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checkMeasure(t, f, data, Params{}) // the descriptor is intact
	if _, err := io.ReadAll(f); !errors.Is(err, unix.EIO) {
		t.Errorf("reading a corrupted verity file: %v, want EIO", err)
	}
}

func checkMeasure(t *testing.T, f *os.File, data []byte, p Params) {
	t.Helper()
	got, err := Measure(f)
	if err != nil {
		t.Fatal(err)
	}
	want, err := SumParams(strings.NewReader(string(data)), p)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("%s: Measure %s, Sum %s", f.Name(), FormatDigest(got), FormatDigest(want))
	}
}

// fibmap is FIBMAP (linux/fs.h), which x/sys/unix does not name.
const fibmap = 1

// corruptDataBlock flips a byte of the file's nth data block in the image
// (located with FIBMAP while mounted, debugfs-free for the busybox guest),
// with the filesystem unmounted, and mounts it again.
func corruptDataBlock(t *testing.T, m *loopMount, name string, n int) {
	t.Helper()
	f, err := os.Open(m.path(name))
	if err != nil {
		t.Fatal(err)
	}
	blk := n // in: the file's block number; out: the filesystem's
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), fibmap, uintptr(unsafe.Pointer(&blk)))
	f.Close()
	if errno != 0 || blk == 0 {
		t.Fatalf("FIBMAP %s block %d: %v (block %d)", name, n, errno, blk)
	}
	m.unmount()
	img, err := os.OpenFile(m.img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	off := int64(blk)*4096 + 100
	b := make([]byte, 1)
	if _, err := img.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := img.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	if err := img.Sync(); err != nil {
		t.Fatal(err)
	}
	m.mount()
}
