package prepareroot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// prepared is the fixture after a successful Prepare.
func prepare(t *testing.T, f *fixture) *Result {
	t.Helper()
	r, err := Prepare(f.options())
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if _, err := os.Lstat(f.sysroot + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s.tmp left behind: %v", f.sysroot, err)
	}
	return r
}

// checkRoot asserts what every prepared root has: the deployment is at
// the sysroot, /usr is read-only, the physical root is at /sysroot, and
// the booted flag names the deployment directory.
func checkRoot(t *testing.T, f *fixture, sysrootRO bool) Booted {
	t.Helper()
	if b, err := os.ReadFile(f.sysroot + "/deployment-marker"); err != nil || string(b) != testCsum {
		t.Errorf("%s is not the deployment: marker %q, %v", f.sysroot, b, err)
	}
	if err := writeErr(f.sysroot + "/usr"); !errors.Is(err, unix.EROFS) {
		t.Errorf("write in /usr: got %v, want EROFS", err)
	}
	phys := f.sysroot + "/sysroot"
	if _, err := os.Stat(phys + "/ostree/deploy/os/var/stateroot-var-marker"); err != nil {
		t.Errorf("physical root not at /sysroot: %v", err)
	}
	if err := writeErr(phys); sysrootRO != errors.Is(err, unix.EROFS) {
		t.Errorf("write in /sysroot: got %v, want read-only %v", err, sysrootRO)
	}
	data, err := os.ReadFile(filepath.Join(f.run, BootedFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseBooted(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{f.sysroot, phys + "/ostree/deploy/os/deploy/" + testCsum + ".0"} {
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil {
			t.Fatal(err)
		}
		if b.Dev != uint64(st.Dev) || b.Ino != st.Ino {
			t.Errorf("%s: backing-root-device-inode (%d, %d), want (%d, %d)", BootedFile, b.Dev, b.Ino, st.Dev, st.Ino)
		}
	}
	if b.SysrootRO != sysrootRO || b.Composefs || b.RootTransient {
		t.Errorf("%s: %+v, want sysroot-ro %v and no composefs or transient root", BootedFile, b, sysrootRO)
	}
	if _, err := os.Stat(filepath.Join(f.run, SysrootROStamp)); (err == nil) != sysrootRO {
		t.Errorf("%s exists: %v, want %v", SysrootROStamp, err == nil, sysrootRO)
	}
	return b
}

func TestPrepareDefault(t *testing.T) {
	if !inNamespace(t) {
		return
	}
	f := newFixture(t)
	r := prepare(t, f)
	if r.Deployment.Stateroot != "os" || r.Deployment.Name != testCsum+".0" || r.VarBound || r.Config != (Config{Composefs: "no", Keypath: DefaultKeypath}) {
		t.Errorf("result %+v %+v", r, r.Deployment)
	}
	checkRoot(t, f, false)
	if err := writeErr(f.sysroot + "/etc"); err != nil {
		t.Errorf("/etc not writable: %v", err)
	}
	if _, err := os.Stat(f.sysroot + "/var/stateroot-var-marker"); err == nil {
		t.Errorf("/var bound without %s", MountVarFlag)
	}
	if fi, err := os.Lstat(f.sysroot + "/boot/loader"); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("/boot is not the physical /boot: %v", err)
	}
	checkBootedDetected(t, f)
}

// checkBootedDetected asserts the rule by which libostree 2022.7 and
// gostree's sysroot code find the booted deployment after switch-root: "/"
// (here the prepared sysroot) has the device and inode of a deployment
// directory reached through /ostree, which leads to /sysroot/ostree.
func checkBootedDetected(t *testing.T, f *fixture) {
	t.Helper()
	var root, dep unix.Stat_t
	if err := unix.Stat(f.sysroot, &root); err != nil {
		t.Fatal(err)
	}
	p := f.sysroot + "/ostree/deploy/os/deploy/" + testCsum + ".0"
	if err := unix.Stat(p, &dep); err != nil {
		t.Fatal(err)
	}
	if root.Dev != dep.Dev || root.Ino != dep.Ino {
		t.Errorf("root (%d, %d) is not deployment %s (%d, %d)", root.Dev, root.Ino, p, dep.Dev, dep.Ino)
	}
}

func TestPrepareBindsVar(t *testing.T) {
	if !inNamespace(t) {
		return
	}
	f := newFixture(t)
	f.markVar(t)
	if r := prepare(t, f); !r.VarBound {
		t.Error("VarBound false")
	}
	checkRoot(t, f, false)
	if _, err := os.Stat(f.sysroot + "/var/stateroot-var-marker"); err != nil {
		t.Errorf("/var is not the stateroot's: %v", err)
	}
	if err := writeErr(f.sysroot + "/var"); err != nil {
		t.Errorf("/var not writable: %v", err)
	}
}

func TestPrepareReadonly(t *testing.T) {
	for _, markVar := range []bool{false, true} {
		name := map[bool]string{false: "var_by_generator", true: "var_bound"}[markVar]
		t.Run(name, func(t *testing.T) {
			if !inNamespace(t) {
				return
			}
			f := newFixture(t)
			f.conf(t, ConfigFiles[0], "[sysroot]", "readonly=true")
			if markVar {
				f.markVar(t)
			}
			prepare(t, f)
			checkRoot(t, f, true)
			if err := writeErr(f.sysroot + "/etc"); err != nil {
				t.Errorf("/etc not writable: %v", err)
			}
			// /var stays writable whichever way it gets mounted.
			stateVar := f.sysroot + "/sysroot/ostree/deploy/os/var"
			if markVar {
				stateVar = f.sysroot + "/var"
			}
			if err := writeErr(stateVar); err != nil {
				t.Errorf("%s not writable: %v", stateVar, err)
			}
			checkBootedDetected(t, f)
		})
	}
}

func TestPrepareLegacyRepoConfigReadonly(t *testing.T) {
	if !inNamespace(t) {
		return
	}
	f := newFixture(t)
	mustWrite(t, f.sysroot+"/ostree/repo/config", "[core]\nrepo_version=1\nmode=bare\n\n[sysroot]\nreadonly=true\n")
	prepare(t, f)
	checkRoot(t, f, true)
}

func TestPrepareTransientEtc(t *testing.T) {
	for _, readonly := range []bool{false, true} {
		name := map[bool]string{false: "sysroot_rw", true: "sysroot_ro"}[readonly]
		t.Run(name, func(t *testing.T) {
			if !inNamespace(t) {
				return
			}
			f := newFixture(t)
			f.conf(t, ConfigFiles[1], "[etc]", "transient=true", "[sysroot]", "readonly="+map[bool]string{false: "0", true: "1"}[readonly])
			prepare(t, f)
			b := checkRoot(t, f, readonly)
			dir := filepath.Join(f.run, "ostree/transient-etc")
			if b.TransientEtc != dir {
				t.Errorf("transient-etc = %q, want %q", b.TransientEtc, dir)
			}
			if _, err := os.Stat(f.sysroot + "/etc/from-usr-etc"); err != nil {
				t.Errorf("/etc is not an overlay of usr/etc: %v", err)
			}
			if _, err := os.Stat(f.sysroot + "/etc/from-etc"); err == nil {
				t.Error("/etc shows the deployment's persistent etc")
			}
			mustWrite(t, f.sysroot+"/etc/new", "x")
			if _, err := os.Stat(dir + "/upper/new"); err != nil {
				t.Errorf("a write to /etc did not land in the transient upper: %v", err)
			}
			if _, err := os.Stat(f.sysroot + "/sysroot/ostree/deploy/os/deploy/" + testCsum + ".0/etc/new"); err == nil {
				t.Error("a write to transient /etc reached the deployment")
			}
		})
	}
}

func TestPrepareUnlocked(t *testing.T) {
	if !inNamespace(t) {
		return
	}
	f := newFixture(t)
	for _, d := range []string{".usr-ovl-upper", ".usr-ovl-work"} {
		if err := os.Mkdir(filepath.Join(f.deploy, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	prepare(t, f)
	mustWrite(t, f.sysroot+"/usr/bin/hotfix", "x")
	if _, err := os.Stat(f.sysroot + "/.usr-ovl-upper/bin/hotfix"); err != nil {
		t.Errorf("a write to unlocked /usr did not land in the overlay's upper: %v", err)
	}
}

// TestPrepareIdempotent runs after a failed attempt: /run/ostree exists
// and SYSROOT.tmp is left over, empty or with a mount still on it.
func TestPrepareIdempotent(t *testing.T) {
	for _, mounted := range []bool{false, true} {
		name := map[bool]string{false: "leftover_dir", true: "leftover_mount"}[mounted]
		t.Run(name, func(t *testing.T) {
			if !inNamespace(t) {
				return
			}
			f := newFixture(t)
			for _, d := range []string{f.run + "/ostree", f.sysroot + ".tmp"} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if mounted {
				if err := unix.Mount(f.deploy, f.sysroot+".tmp", "", unix.MS_BIND, ""); err != nil {
					t.Fatal(err)
				}
			}
			prepare(t, f)
			checkRoot(t, f, false)
		})
	}
}

// TestPrepareCommand runs the command as the initramfs does, once with
// the command line as an argument and once read from /proc/cmdline (here
// a file standing in for it).
func TestPrepareCommand(t *testing.T) {
	for _, fromFile := range []bool{false, true} {
		name := map[bool]string{false: "cmdline_argument", true: "proc_cmdline"}[fromFile]
		t.Run(name, func(t *testing.T) {
			if !inNamespace(t) {
				return
			}
			f := newFixture(t)
			f.markVar(t)
			f.conf(t, ConfigFiles[0], "[sysroot]", "readonly=true")
			e := env{prepare: Options{Root: f.initrd, RunDir: f.run}, cmdline: filepath.Join(f.base, "cmdline")}
			mustWrite(t, e.cmdline, f.cmdline()+"\n")
			args := []string{"/usr/lib/gostree/gostree-prepare-root", f.sysroot}
			if !fromFile {
				args = append(args, f.cmdline())
			}
			var stdout, stderr strings.Builder
			if code := run(args, e, &stdout, &stderr); code != 0 || stderr.Len() != 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr.String())
			}
			want := "gostree-prepare-root: ostree=" + testTarget + ": " + f.sysroot + " is now deployment os/" + testCsum + ".0 (sysroot read-only, /var bound)\n"
			if stdout.String() != want {
				t.Errorf("stdout\n got %q\nwant %q", stdout.String(), want)
			}
			checkRoot(t, f, true)
		})
	}
}
