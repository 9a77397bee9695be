package prepareroot

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
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
	for _, d := range []string{"sysroot", "etc", "var"} {
		if err := os.Mkdir(filepath.Join(f.root, d), 0o755); err != nil {
			t.Fatal(err)
		}
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
