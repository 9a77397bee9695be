package prepareroot

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/testutil"
)

// The reference is libostree 2022.7's ostree-prepare-root (Debian's
// ostree-boot), which only reads /proc/cmdline and only works on /sysroot
// and /run. It runs chrooted into the fixture's base, which then holds
// /sysroot, /run, a /proc whose cmdline is the fixture's, and the host's
// /usr for the program and its libraries.
const referencePrepareRoot = "/usr/lib/ostree/ostree-prepare-root"

// chrootReady makes f.base a root the reference can run in.
func chrootReady(t *testing.T, f *fixture) {
	t.Helper()
	for _, d := range []string{"usr", "proc", "dev"} {
		if err := os.Mkdir(filepath.Join(f.base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []string{"bin", "lib", "lib64", "sbin"} {
		mustSymlink(t, "usr/"+l, filepath.Join(f.base, l))
	}
	mounts := []struct {
		src, dst, fstype string
		flags            uintptr
	}{
		{"/usr", f.base + "/usr", "", unix.MS_BIND | unix.MS_REC},
		{"/dev", f.base + "/dev", "", unix.MS_BIND | unix.MS_REC},
		{"proc", f.base + "/proc", "proc", 0},
	}
	for _, m := range mounts {
		if err := unix.Mount(m.src, m.dst, m.fstype, m.flags, ""); err != nil {
			t.Fatalf("mount %s on %s: %v", m.src, m.dst, err)
		}
	}
	cmdline := filepath.Join(f.initrd, "cmdline")
	mustWrite(t, cmdline, f.cmdline()+"\n")
	if err := unix.Mount(cmdline, f.base+"/proc/cmdline", "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
}

// runChrooted runs argv with f.base as its root.
func runChrooted(t *testing.T, f *fixture, argv ...string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: f.base}
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/bin:/usr/sbin", "LANG=C"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", argv, err, out)
	}
	return string(out)
}

// layout describes the mounts at and below f.sysroot, independent of mount
// IDs and order: mount point (relative), the directory of the filesystem
// it shows, read-only or not, filesystem type.
func layout(t *testing.T, f *fixture) string {
	t.Helper()
	file, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var lines []string
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		mp := fields[4]
		if mp != f.sysroot && !strings.HasPrefix(mp, f.sysroot+"/") {
			continue
		}
		rw := strings.Split(fields[5], ",")[0]
		fstype := ""
		for i, x := range fields {
			if x == "-" {
				fstype = fields[i+1]
			}
		}
		lines = append(lines, strings.TrimPrefix(mp, f.base)+" root="+fields[3]+" "+rw+" "+fstype)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// TestSameMountsAsReference runs the reference and gostree-prepare-root on
// identical fixtures and compares the mount trees they leave and the run
// files they write.
func TestSameMountsAsReference(t *testing.T) {
	tests := []struct {
		name     string
		markVar  bool
		readonly bool // through the repo config, which 2022.7 reads
		unlocked bool // ostree admin unlock: an overlay on /usr
	}{
		{name: "default"},
		{name: "var_bound", markVar: true},
		{name: "readonly", readonly: true},
		{name: "readonly_var_bound", markVar: true, readonly: true},
		{name: "unlocked", unlocked: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !inNamespace(t) {
				return
			}
			if _, err := os.Stat(referencePrepareRoot); err != nil {
				testutil.Skip(t, "reference prepare-root (Debian ostree-boot) not installed: "+err.Error())
			}
			var got [2]string
			var runs [2]string
			for i := range got {
				f := newFixture(t)
				chrootReady(t, f)
				if tc.markVar {
					f.markVar(t)
				}
				if tc.readonly {
					mustWrite(t, f.sysroot+"/ostree/repo/config", "[core]\nrepo_version=1\nmode=bare\n\n[sysroot]\nreadonly=true\n")
				}
				if tc.unlocked {
					for _, d := range []string{".usr-ovl-upper", ".usr-ovl-work"} {
						if err := os.Mkdir(filepath.Join(f.deploy, d), 0o755); err != nil {
							t.Fatal(err)
						}
					}
				}
				if i == 0 {
					runChrooted(t, f, referencePrepareRoot, "/sysroot")
				} else if _, err := Prepare(f.options()); err != nil {
					t.Fatal(err)
				}
				got[i] = layout(t, f)
				runs[i] = listTree(t, f.run)
			}
			if d := cmp.Diff(got[0], got[1]); d != "" {
				t.Errorf("mounts (-reference +gostree):\n%s", d)
			}
			// /run/ostree is created by gostree even when unused.
			if d := cmp.Diff(strings.TrimPrefix(runs[0], "ostree/\n"), strings.TrimPrefix(runs[1], "ostree/\n")); d != "" {
				t.Errorf("run files (-reference +gostree):\n%s", d)
			}
			t.Logf("mounts:\n%s", got[1])
		})
	}
}
