package prepareroot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// checkComposefsRoot asserts what every composefs root has: the image's
// tree at the sysroot with regular files read from the objects store,
// / and /usr read-only (unless transient), the deployment's own /etc
// bound and writable, the physical root at /sysroot, the EROFS detached
// from its temporary mount point, and the booted file naming the
// deployment directory.
func checkComposefsRoot(t *testing.T, f *fixture, r *Result, verity bool) Booted {
	t.Helper()
	if !r.Composefs {
		t.Fatal("Result.Composefs is false")
	}
	for p, want := range map[string]string{"deployment-marker": markerContent, "usr/bin/hello": helloContent, "usr/etc/from-usr-etc": "default"} {
		if b, err := os.ReadFile(filepath.Join(f.sysroot, p)); err != nil || string(b) != want {
			t.Errorf("/%s through the overlay: %q, %v; want %q", p, b, err, want)
		}
	}
	fstype, source, opts := mountAt(t, f.sysroot)
	lower := filepath.Join(f.run, cfsLowerDir)
	if fstype != "overlay" || source != "composefs" || !strings.Contains(opts, "lowerdir="+lower+"::"+filepath.Join(f.sysroot, objectsRel)) ||
		!strings.Contains(opts, "metacopy=on") || !strings.Contains(opts, "redirect_dir=on") ||
		strings.Contains(opts, "verity=require") != verity {
		t.Errorf("root mount: %s %s %s", fstype, source, opts)
	}
	if mp, err := isMountPoint(lower); err != nil || mp {
		t.Errorf("%s still a mount point (%v, %v)", lower, mp, err)
	}
	if _, err := os.Stat(f.sysroot + "/etc/from-etc"); err != nil {
		t.Errorf("/etc is not the deployment's: %v", err)
	}
	if _, err := os.Stat(f.sysroot + "/etc/from-image-etc"); err == nil {
		t.Error("/etc shows the image's etc")
	}
	if err := writeErr(f.sysroot + "/etc"); err != nil {
		t.Errorf("/etc not writable: %v", err)
	}
	phys := f.sysroot + "/sysroot"
	if _, err := os.Stat(phys + "/ostree/deploy/os/var/stateroot-var-marker"); err != nil {
		t.Errorf("physical root not at /sysroot: %v", err)
	}
	if err := writeErr(phys); !errors.Is(err, unix.EROFS) {
		t.Errorf("write in /sysroot: got %v, want EROFS (composefs makes it read-only by default)", err)
	}
	data, err := os.ReadFile(filepath.Join(f.run, BootedFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseBooted(data)
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(phys+"/ostree/deploy/os/deploy/"+r.Deployment.Name, &st); err != nil {
		t.Fatal(err)
	}
	if b.Dev != uint64(st.Dev) || b.Ino != st.Ino {
		t.Errorf("backing-root-device-inode (%d, %d), want the deployment directory's (%d, %d)", b.Dev, b.Ino, st.Dev, st.Ino)
	}
	if !b.Composefs || b.ComposefsVerity != verity || !b.SysrootRO {
		t.Errorf("%s: %+v, want composefs, verity %v, sysroot-ro", BootedFile, b, verity)
	}
	return b
}

func TestPrepareComposefs(t *testing.T) {
	tests := []struct {
		name    string
		conf    []string
		cmdline string
		markVar bool
	}{
		{name: "yes", conf: []string{"[composefs]", "enabled=yes"}},
		{name: "maybe", conf: []string{"[composefs]", "enabled=maybe", "[sysroot]", "readonly=true"}},
		{name: "karg", cmdline: " ostree.prepare-root.composefs=1", markVar: true},
		{name: "true_var_bound", conf: []string{"[composefs]", "enabled=true"}, markVar: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !inNamespace(t) {
				return
			}
			f := newFixture(t)
			newCfsImage(false).install(t, f)
			if tc.conf != nil {
				f.conf(t, ConfigFiles[1], tc.conf...)
			}
			if tc.markVar {
				f.markVar(t)
			}
			o := f.options()
			o.Cmdline += tc.cmdline
			r, err := Prepare(o)
			if err != nil {
				t.Fatal(err)
			}
			b := checkComposefsRoot(t, f, r, false)
			if b.ComposefsSigned != "" || b.RootTransient {
				t.Errorf("%s: %+v", BootedFile, b)
			}
			if err := writeErr(f.sysroot); !errors.Is(err, unix.EROFS) {
				t.Errorf("write in /: %v, want EROFS", err)
			}
			if err := writeErr(f.sysroot + "/usr"); !errors.Is(err, unix.EROFS) {
				t.Errorf("write in /usr: %v, want EROFS", err)
			}
			if fstype, _, _ := mountAt(t, f.sysroot+"/usr"); fstype != "" {
				t.Errorf("/usr is a mount of its own (%s); composefs has none", fstype)
			}
			varDir := f.sysroot + "/sysroot/ostree/deploy/os/var"
			if tc.markVar {
				varDir = f.sysroot + "/var"
			}
			if _, err := os.Stat(varDir + "/stateroot-var-marker"); err != nil {
				t.Errorf("%s: %v", varDir, err)
			}
			if err := writeErr(varDir); err != nil {
				t.Errorf("%s not writable: %v", varDir, err)
			}
		})
	}
}

// TestPrepareComposefsMaybeNoImage: "maybe" without an image is the
// legacy bind-mount root.
func TestPrepareComposefsMaybeNoImage(t *testing.T) {
	if !inNamespace(t) {
		return
	}
	f := newFixture(t)
	f.conf(t, ConfigFiles[0], "[composefs]", "enabled=maybe")
	r := prepare(t, f)
	if r.Composefs {
		t.Error("Result.Composefs without an image")
	}
	checkRoot(t, f, false)
	checkBootedDetected(t, f)
	if _, err := os.Lstat(filepath.Join(f.run, privateDir)); err == nil {
		t.Errorf("%s created without composefs", privateDir)
	}
}

func TestPrepareComposefsTransientRoot(t *testing.T) {
	for _, ro := range []bool{false, true} {
		name := map[bool]string{false: "transient", true: "transient_ro"}[ro]
		t.Run(name, func(t *testing.T) {
			if !inNamespace(t) {
				return
			}
			f := newFixture(t)
			newCfsImage(false).install(t, f)
			f.conf(t, ConfigFiles[0], "[composefs]", "enabled=yes", "[root]", map[bool]string{false: "transient=true", true: "transient-ro=true"}[ro])
			r := prepare(t, f)
			b := checkComposefsRoot(t, f, r, false)
			if !b.RootTransient || b.RootTransientRO != ro {
				t.Errorf("%s: %+v, want root.transient, transient-ro %v", BootedFile, b, ro)
			}
			err := writeErr(f.sysroot + "/usr")
			if ro {
				if !errors.Is(err, unix.EROFS) {
					t.Errorf("write in /usr: %v, want EROFS", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("/usr not writable on a transient root: %v", err)
			}
			mustWrite(t, f.sysroot+"/usr/bin/new", "x")
			if _, err := os.Stat(filepath.Join(f.run, transientDir, "upper/usr/bin/new")); err != nil {
				t.Errorf("a write to / did not land in the transient upper: %v", err)
			}
			// Writing to an object-backed file copies it up; the object stays.
			if err := os.WriteFile(f.sysroot+"/usr/bin/hello", []byte("changed"), 0o755); err != nil {
				t.Fatal(err)
			}
			im := newCfsImage(false)
			for obj, content := range im.objects {
				if b, err := os.ReadFile(filepath.Join(f.sysroot, "sysroot", objectsRel, obj)); err != nil || string(b) != content {
					t.Errorf("object %s: %q, %v", obj, b, err)
				}
			}
		})
	}
}

// TestPrepareComposefsUnlocked: `ostree admin unlock` on an unsigned
// composefs root gets its /usr overlay, upper in the deployment directory.
func TestPrepareComposefsUnlocked(t *testing.T) {
	if !inNamespace(t) {
		return
	}
	f := newFixture(t)
	newCfsImage(false).install(t, f)
	for _, d := range []string{".usr-ovl-upper", ".usr-ovl-work"} {
		if err := os.Mkdir(filepath.Join(f.deploy, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.conf(t, ConfigFiles[0], "[composefs]", "enabled=yes", "[sysroot]", "readonly=false")
	r := prepare(t, f)
	if !r.Composefs {
		t.Fatal("no composefs")
	}
	mustWrite(t, f.sysroot+"/usr/bin/hotfix", "x")
	if _, err := os.Stat(f.sysroot + "/sysroot/ostree/deploy/os/deploy/" + testCsum + ".0/.usr-ovl-upper/bin/hotfix"); err != nil {
		t.Errorf("a write to unlocked /usr did not land in the deployment's overlay upper: %v", err)
	}
	if b, err := os.ReadFile(f.sysroot + "/usr/bin/hello"); err != nil || string(b) != helloContent {
		t.Errorf("/usr/bin/hello below the unlock overlay: %q, %v", b, err)
	}
}

// TestMountErofsLoop mounts an image through a loop device, as kernels
// without file-backed EROFS need, and checks that the device is freed
// when the mount goes.
func TestMountErofsLoop(t *testing.T) {
	if !inNamespace(t) {
		return
	}
	f := newFixture(t)
	newCfsImage(false).install(t, f)
	image := filepath.Join(f.deploy, ComposefsImage)
	fd, err := openRaw(image, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	target := filepath.Join(f.base, "erofs")
	if err := os.Mkdir(target, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := mountErofs(fd, image, target, "noacl", true); err != nil {
		t.Fatal(err)
	}
	fstype, source, opts := mountAt(t, target)
	if fstype != "erofs" || !strings.HasPrefix(source, "/dev/loop") || !strings.HasPrefix(opts, "ro") {
		t.Errorf("mount %s %s %s, want erofs from a loop device, read-only", fstype, source, opts)
	}
	// The image's own view: the metacopy file is there with its size.
	if fi, err := os.Stat(target + "/usr/bin/hello"); err != nil || fi.Size() != int64(len(helloContent)) {
		t.Errorf("usr/bin/hello in the EROFS: %v, %v", fi, err)
	}
	if err := unix.Unmount(target, 0); err != nil {
		t.Fatal(err)
	}
	sysBlock := "/sys/block/" + filepath.Base(source) + "/loop/backing_file"
	if b, err := os.ReadFile(sysBlock); err == nil {
		t.Errorf("%s still backed by %s after the unmount: autoclear not set", source, strings.TrimSpace(string(b)))
	}
}

// TestPrepareComposefsCommand: the success line says which root it made.
func TestPrepareComposefsCommand(t *testing.T) {
	for _, image := range []bool{false, true} {
		name := map[bool]string{false: "maybe_no_image", true: "maybe_image"}[image]
		t.Run(name, func(t *testing.T) {
			if !inNamespace(t) {
				return
			}
			f := newFixture(t)
			if image {
				newCfsImage(false).install(t, f)
			}
			e := env{prepare: Options{Root: f.initrd, RunDir: f.run}}
			var stdout, stderr strings.Builder
			args := []string{NamePrepare, f.sysroot, f.cmdline() + " ostree.prepare-root.composefs=maybe"}
			if code := run(args, e, &stdout, &stderr); code != 0 || stderr.Len() != 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr.String())
			}
			note := map[bool]string{false: " (composefs: no image present)", true: " (composefs)"}[image]
			want := NamePrepare + ": ostree=" + testTarget + ": " + f.sysroot + " is now deployment os/" + testCsum + ".0" + note + "\n"
			if stdout.String() != want {
				t.Errorf("stdout\n got %q\nwant %q", stdout.String(), want)
			}
		})
	}
}
