package composefs

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/testutil"
)

const nsEnv = "GOSTREE_COMPOSEFS_IN_NS"

// inMountNamespace reports whether to run the test body: true in a child
// process running just this test in a private mount namespace (so its
// mounts vanish with it); in the parent it runs that child and checks it
// passed.
func inMountNamespace(t *testing.T) bool {
	t.Helper()
	if os.Getenv(nsEnv) != "" {
		return true
	}
	testutil.RequiresRoot(t)
	cmd := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), nsEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("in a mount namespace: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
		t.Fatalf("the child did not run %s:\n%s", t.Name(), out)
	}
	return false
}

// TestKernelMount mounts an image built from a directory with the
// kernel's EROFS driver, checks it against the source, then stacks the
// overlay composefs uses (image as lower layer, digest store as data-only
// layer) and checks that every file reads back with its content.
func TestKernelMount(t *testing.T) {
	if !inMountNamespace(t) {
		return
	}
	src := sourceTree(t)
	store := t.TempDir()
	root, err := FromDir(context.Background(), src, DirOptions{DigestStore: store})
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	image := filepath.Join(work, "image.cfs")
	var img bytes.Buffer
	if err := WriteImage(&img, root, Options{MaxVersion: 1}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(image, img.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	lower, merged := filepath.Join(work, "lower"), filepath.Join(work, "merged")
	for _, d := range []string{lower, merged} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Linux 6.12+ mounts EROFS straight from a file.
	if err := unix.Mount(image, lower, "erofs", unix.MS_RDONLY, ""); err != nil {
		t.Fatalf("mount erofs image: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(lower, unix.MNT_DETACH) })
	checkErofsMount(t, src, lower)

	opts := "metacopy=on,redirect_dir=on,lowerdir=" + lower + "::" + store
	if err := unix.Mount("composefs", merged, "overlay", unix.MS_RDONLY, opts); err != nil {
		t.Fatalf("mount overlay %s: %v", opts, err)
	}
	t.Cleanup(func() { _ = unix.Unmount(merged, unix.MNT_DETACH) })
	checkOverlay(t, src, merged)
}

// checkErofsMount compares the raw EROFS view with the source: same
// names, metadata and links, xattrs with trusted.overlay.* escaped, the
// whiteout as an escaped whiteout, and the 256 stubs at the root.
func checkErofsMount(t *testing.T, src, mnt string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		var s, m unix.Stat_t
		if err := unix.Lstat(p, &s); err != nil {
			return err
		}
		if err := unix.Lstat(filepath.Join(mnt, rel), &m); err != nil {
			t.Errorf("%s: missing from the mount: %v", rel, err)
			return nil
		}
		wantMode := s.Mode
		whiteout := s.Mode&unix.S_IFMT == unix.S_IFCHR && s.Rdev == 0
		if whiteout {
			wantMode = unix.S_IFREG | s.Mode&^unix.S_IFMT
		}
		if m.Mode != wantMode || m.Uid != s.Uid || m.Gid != s.Gid || m.Mtim != s.Mtim {
			t.Errorf("%s: mode/uid/gid/mtime %o/%d/%d/%v, source %o/%d/%d/%v", rel, m.Mode, m.Uid, m.Gid, m.Mtim, wantMode, s.Uid, s.Gid, s.Mtim)
		}
		if fi.Mode().IsRegular() && m.Size != s.Size || fi.Mode()&os.ModeDevice != 0 && !whiteout && m.Rdev != s.Rdev {
			t.Errorf("%s: size/rdev %d/%d, source %d/%d", rel, m.Size, m.Rdev, s.Size, s.Rdev)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			a, _ := os.Readlink(p)
			b, _ := os.Readlink(filepath.Join(mnt, rel))
			if a != b {
				t.Errorf("%s: target %q, source %q", rel, b, a)
			}
		}
		sx, _ := listXattrs(p)
		mx, _ := listXattrs(filepath.Join(mnt, rel))
		for k, v := range sx {
			if strings.HasPrefix(k, ovlPrefix) {
				k = ovlEscapePrefix + k[len(ovlPrefix):]
			}
			if mx[k] != v {
				t.Errorf("%s: xattr %s = %q in the mount, source %q", rel, k, mx[k], v)
			}
		}
		if _, ok := mx[ovlEscWhiteout]; ok != whiteout {
			t.Errorf("%s: escaped whiteout xattr %v, want %v", rel, ok, whiteout)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"00", "7f", "ff"} {
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(mnt, name), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
			t.Errorf("root whiteout stub %s: %v %o", name, err, st.Mode)
		}
	}
}

// checkOverlay reads every regular file of the source through the
// overlay: the content comes from the digest store through the
// redirect, or from the image for inline files.
func checkOverlay(t *testing.T, src, merged string) {
	t.Helper()
	files := 0
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join(merged, rel))
		if err != nil {
			t.Errorf("%s: through the overlay: %v", rel, err)
			return nil
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes through the overlay differ from the source's %d", rel, len(got), len(want))
		}
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 4 {
		t.Fatalf("only %d files compared", files)
	}
	ents, err := os.ReadDir(merged)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if len(e.Name()) == 2 && e.Type()&os.ModeCharDevice != 0 {
			t.Errorf("whiteout stub %s visible through the overlay", e.Name())
		}
	}
}
