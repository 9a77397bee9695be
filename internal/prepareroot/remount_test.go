package prepareroot

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/testutil"
)

// remountFixture is a booted system's view after switch-root: a root with
// /sysroot, /etc and /var mounts of their own, all read-only to start.
type remountFixture struct {
	root, run string
}

func newRemountFixture(t *testing.T, rootRO bool) *remountFixture {
	t.Helper()
	base := t.TempDir()
	mountTmpfs(t, base)
	f := &remountFixture{root: base + "/root", run: base + "/run"}
	for _, d := range []string{f.root, f.run, base + "/phys", base + "/var"} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mountTmpfs(t, f.root)
	for _, d := range []string{"sysroot", "etc", "var", "usr", "run"} {
		if err := os.Mkdir(filepath.Join(f.root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Enough for the reference ostree-remount to run chrooted in root.
	for _, l := range []string{"lib", "lib64"} {
		mustSymlink(t, "usr/"+l, filepath.Join(f.root, l))
	}
	if err := unix.Mount("/usr", f.root+"/usr", "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(f.run, f.root+"/run", "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	mountTmpfs(t, base+"/phys")
	bindRO(t, base+"/phys", f.root+"/sysroot")
	bindRO(t, f.root+"/etc", f.root+"/etc")
	// /var's filesystem itself is read-only, not only its mount.
	if err := unix.Mount("tmpfs", f.root+"/var", "tmpfs", unix.MS_RDONLY, ""); err != nil {
		t.Fatal(err)
	}
	if rootRO {
		if err := unix.Mount("", f.root, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func bindRO(t *testing.T, src, dst string) {
	t.Helper()
	if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("", dst, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
		t.Fatal(err)
	}
}

func TestRemount(t *testing.T) {
	ro := func(b Booted) func(*testing.T, *remountFixture) {
		return func(t *testing.T, f *remountFixture) {
			data, err := b.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			mustWrite(t, filepath.Join(f.run, BootedFile), string(data))
		}
	}
	tests := []struct {
		name                string
		rootRO              bool
		setup               func(*testing.T, *remountFixture)
		wantWritable        []string // of sysroot, etc, var
		wantBootedFileEmpty bool
	}{
		{name: "no_booted_file", wantWritable: []string{"sysroot", "var"}, wantBootedFileEmpty: true},
		{name: "sysroot_rw", setup: ro(Booted{Dev: 1, Ino: 2}), wantWritable: []string{"sysroot", "var"}},
		{name: "sysroot_ro", setup: ro(Booted{Dev: 1, Ino: 2, SysrootRO: true}), wantWritable: []string{"etc", "var"}},
		{name: "sysroot_ro_stamp_2022", setup: func(t *testing.T, f *remountFixture) {
			mustWrite(t, filepath.Join(f.run, BootedFile), "")
			mustWrite(t, filepath.Join(f.run, SysrootROStamp), "")
		}, wantWritable: []string{"etc", "var"}, wantBootedFileEmpty: true},
		{name: "root_read_only", rootRO: true, wantWritable: nil, wantBootedFileEmpty: true},
		// A composefs root is always read-only; libostree 2025 goes on.
		{name: "composefs", rootRO: true, setup: ro(Booted{Dev: 1, Ino: 2, SysrootRO: true, Composefs: true}), wantWritable: []string{"etc", "var"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !inNamespace(t) {
				return
			}
			f := newRemountFixture(t, tc.rootRO)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			if err := Remount(RemountOptions{Root: f.root, RunDir: f.run}); err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			for _, d := range tc.wantWritable {
				want[d] = true
			}
			for _, d := range []string{"sysroot", "etc", "var"} {
				err := writeErr(filepath.Join(f.root, d))
				if want[d] && err != nil || !want[d] && !errors.Is(err, unix.EROFS) {
					t.Errorf("write in /%s: %v, want writable %v", d, err, want[d])
				}
			}
			b, err := os.ReadFile(filepath.Join(f.run, BootedFile))
			if err != nil || tc.wantBootedFileEmpty != (len(b) == 0) {
				t.Errorf("%s: %d bytes, %v", BootedFile, len(b), err)
			}
		})
	}
}

// TestRemountLikeReference runs libostree 2022.7's ostree-remount chrooted
// into one fixture and Remount on another, and compares which of
// /sysroot, /etc and /var end up writable.
func TestRemountLikeReference(t *testing.T) {
	const reference = "/usr/lib/ostree/ostree-remount"
	tests := []struct {
		name   string
		rootRO bool
		stamp  bool
	}{
		{name: "sysroot_rw"},
		{name: "sysroot_ro_stamp", stamp: true},
		{name: "root_read_only", rootRO: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !inNamespace(t) {
				return
			}
			if _, err := os.Stat(reference); err != nil {
				testutil.Skip(t, "reference ostree-remount (Debian ostree-boot) not installed: "+err.Error())
			}
			var got [2]string
			for i := range got {
				f := newRemountFixture(t, tc.rootRO)
				if tc.stamp {
					mustWrite(t, filepath.Join(f.run, SysrootROStamp), "")
				}
				if i == 0 {
					cmd := exec.Command(reference)
					cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: f.root}
					cmd.Dir = "/"
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Fatalf("%s: %v\n%s", reference, err, out)
					}
				} else if err := Remount(RemountOptions{Root: f.root, RunDir: f.run}); err != nil {
					t.Fatal(err)
				}
				for _, d := range []string{"sysroot", "etc", "var"} {
					state := "rw"
					if errors.Is(writeErr(filepath.Join(f.root, d)), unix.EROFS) {
						state = "ro"
					}
					got[i] += "/" + d + " " + state + "\n"
				}
				if !exists(filepath.Join(f.run, BootedFile)) {
					got[i] += "no " + BootedFile + "\n"
				}
			}
			t.Logf("after remount:\n%s", got[1])
			if got[0] != got[1] {
				t.Errorf("reference:\n%s\ngostree:\n%s", got[0], got[1])
			}
		})
	}
}
