package boot

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/testutil"
)

// TestInteropReferencePrepareRoot: the reference's ostree-prepare-root
// (Debian's ostree-boot, with its libraries in the initramfs) boots a
// sysroot gostree deployed, through GRUB.
func TestInteropReferencePrepareRoot(t *testing.T) {
	k := sharedKit(t)
	ctx := context.Background()
	ref, err := FetchRefPrepareRoot(ctx, k.Cache)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(k.Work, "interop-ref-prepare-root")
	removeLater(t, dir)
	initrd := filepath.Join(dir, "ref-initramfs.img")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := BuildInitramfs(ctx, ref.InitramfsOptions(k.Kernel), initrd); err != nil {
		t.Fatal(err)
	}
	in := k.TreeInputs()
	in.Initramfs = initrd
	d := newSmallDisk(t, k, dir, in, false)
	rep, r := d.boot(t, nil)
	checkSmallReport(t, rep, d)
	// gostree-prepare-root names itself on the console; the reference is silent.
	if ours := r.Matching(regexp.MustCompile("gostree-prepare-root")); len(ours) > 0 {
		t.Errorf("gostree-prepare-root ran instead of the reference: %q", ours)
	}
	t.Logf("reference ostree-prepare-root %s booted gostree's sysroot", ref.Version)
}

// TestInteropReferenceSysroot: gostree-prepare-root boots a sysroot the
// reference ostree made (init-fs, os-init, pull-local from the same build
// repo, deploy). The reference's grub2 backend would run grub-mkconfig for
// the host, so its sysroot has sysroot.bootloader=none and qemu boots the
// BLS entry directly (-kernel, -initrd, -append from the entry).
func TestInteropReferenceSysroot(t *testing.T) {
	k := sharedKit(t)
	testutil.ReferenceOstree(t)
	dir := filepath.Join(k.Work, "interop-ref-sysroot")
	removeLater(t, dir)
	d := newSmallDisk(t, k, dir, k.TreeInputs(), true)
	rep, r := d.boot(t, d.entry.QemuArgs(""))
	checkSmallReport(t, rep, d)
	if ours := r.Matching(regexp.MustCompile("^gostree-prepare-root: ")); len(ours) != 1 {
		t.Errorf("want one gostree-prepare-root line on the console, got %q", ours)
	}
}

// smallDisk is a busybox guest (reportInit as PID 1) deployed into a
// sysroot image by gostree or by the reference.
type smallDisk struct {
	k                     *Kit
	dir, img              string
	stateroot, deployment string
	entry                 *BootEntry
}

func newSmallDisk(t testing.TB, k *Kit, dir string, in TreeInputs, byReference bool) *smallDisk {
	t.Helper()
	ctx := context.Background()
	d := &smallDisk{k: k, dir: dir, img: filepath.Join(dir, "sysroot.img"), stateroot: "os"}
	tree, repo, sysroot := filepath.Join(dir, "tree"), filepath.Join(dir, "build"), filepath.Join(dir, "sysroot")
	if err := BuildTree(ctx, tree, in, OSVersion{Version: "i1", Init: reportInit}); err != nil {
		t.Fatal(err)
	}
	csum, err := k.Gostree.Commit(ctx, repo, "os/x86_64", tree, "i1")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(sysroot, 0o755); err != nil {
		t.Fatal(err)
	}
	kargs := []string{"root=/dev/vda", "rw", "console=ttyS0", "panic=5", "init=" + TestInitPath}
	if byReference {
		err = referenceSysroot(ctx, testutil.ReferenceOstree(t), sysroot, repo, d.stateroot, kargs)
	} else {
		err = MakeSysroot(ctx, k.Gostree, sysroot, repo, SysrootOptions{Stateroot: d.stateroot, Kargs: kargs})
	}
	if err != nil {
		t.Fatal(err)
	}
	d.deployment = csum + ".0"
	if d.entry, err = DefaultBootEntry(sysroot); err != nil {
		t.Fatal(err)
	}
	if err := MakeDisk(ctx, sysroot, d.img, "sysroot", "200M"); err != nil {
		t.Fatal(err)
	}
	return d
}

// referenceSysroot deploys ref of repo into sysroot with the reference
// ostree at path, without a bootloader.
func referenceSysroot(ctx context.Context, ostree, sysroot, repo, stateroot string, kargs []string) error {
	r := filepath.Join(sysroot, "ostree/repo")
	deploy := []string{"admin", "deploy", "--sysroot=" + sysroot, "--os=" + stateroot, "--karg-none"}
	for _, k := range kargs {
		deploy = append(deploy, "--karg="+k)
	}
	for _, args := range [][]string{
		{"admin", "init-fs", "--modern", sysroot},
		{"admin", "os-init", "--sysroot=" + sysroot, stateroot},
		{"config", "--repo=" + r, "set", "sysroot.bootloader", "none"},
		{"pull-local", "--repo=" + r, repo, "os/x86_64"},
		append(deploy, "os/x86_64"),
	} {
		if _, err := run(ctx, "", ostree, args...); err != nil {
			return err
		}
	}
	return nil
}

// boot runs the disk once on a snapshot (through GRUB unless extra has
// -kernel) and returns the report and the run.
func (d *smallDisk) boot(t testing.TB, extra []string) (*Report, *Run) {
	t.Helper()
	m := &Machine{ISO: d.k.ISO, Disks: []string{d.img}, ConsoleLog: filepath.Join(d.dir, "console.log"), Extra: append(extra, "-snapshot")}
	r, err := m.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.WaitFor(regexp.MustCompile("^"+markerDone), 0, 2*time.Minute); err != nil {
		r.Kill()
		t.Fatal(err)
	}
	if err := r.Wait(time.Minute); err != nil {
		t.Fatal(err)
	}
	rep, err := ParseReport(r.Lines())
	if err != nil {
		t.Fatalf("%v; console tail:\n%s", err, r.Tail(40))
	}
	if fails := r.Matching(regexp.MustCompile("INITRAMFS-FAIL")); len(fails) > 0 {
		t.Errorf("initramfs: %v", fails)
	}
	return rep, r
}

// checkSmallReport asserts the busybox guest's report: PID 1 in the
// deployment with the OSTree mounts, /usr read-only, /etc writable,
// /run/ostree-booted present, gostree's status marking it booted.
func checkSmallReport(t *testing.T, rep *Report, d *smallDisk) {
	t.Helper()
	for k, want := range map[string]string{"pid": "1", "run_booted": "yes", "usr_write": "refused", "etc_write": "allowed", "health_rc": "0"} {
		if got := rep.Values[k]; got != want {
			t.Errorf("guest %s = %q, want %q", k, got, want)
		}
	}
	checkMounts(t, rep.Blocks["mountinfo"], "/ostree/deploy/"+d.stateroot+"/deploy/"+d.deployment, "/ostree/deploy/"+d.stateroot+"/var")
	if rep.RC["gostree-status"] != "0" || !bootedLine(rep.Blocks["gostree-status"], d.stateroot, d.deployment) {
		t.Errorf("gostree admin status (rc=%s) does not mark %s booted:\n%s", rep.RC["gostree-status"], d.deployment, rep.Blocks["gostree-status"])
	}
}

// removeLater frees a scenario's disks when the test ends, unless
// GOSTREE_BOOT_KEEP asks to keep them for a look.
func removeLater(t *testing.T, dir string) {
	t.Cleanup(func() {
		if os.Getenv("GOSTREE_BOOT_KEEP") == "" {
			RemoveTree(dir)
		}
	})
}
