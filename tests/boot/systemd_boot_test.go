package boot

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSystemdBoot boots a debootstrapped Debian with systemd as PID 1 from a
// sysroot gostree deployed: first through GRUB with the kit's initramfs
// (prepare-root binds /var), then, on the same disk, with an initramfs that
// leaves /var to gostree-system-generator's var.mount. Each boot runs the
// installed units (gostree-remount, gostree-health before
// boot-complete.target) and a report unit.
func TestSystemdBoot(t *testing.T) {
	k := sharedKit(t)
	ctx := context.Background()
	sd := newSystemdDisk(t, k)

	t.Run("grub/initramfs-var", func(t *testing.T) {
		rep, elapsed := sd.boot(t, "grub", nil)
		checkSystemdReport(t, rep, sd, "")
		t.Logf("systemd boot through GRUB: %s wall; %s; report done at uptime %ss",
			elapsed.Round(100*time.Millisecond), startupTimes(rep), rep.Values["uptime_done"])
	})
	t.Run("direct/generator-var", func(t *testing.T) {
		dir := t.TempDir()
		opts, err := Wrapped{Binary: k.Bin.PrepareRoot, Path: DefaultPrepareRootPath, NoVarMarker: true}.InitramfsOptions(k.Kernel, dir)
		if err != nil {
			t.Fatal(err)
		}
		initrd := filepath.Join(dir, "initramfs.img")
		if err := BuildInitramfs(ctx, opts, initrd); err != nil {
			t.Fatal(err)
		}
		rep, elapsed := sd.boot(t, "generator", sd.entry.QemuArgs(initrd))
		checkSystemdReport(t, rep, sd, "/run/systemd/generator/var.mount")
		t.Logf("systemd boot, direct kernel: %s wall; %s; report done at uptime %ss",
			elapsed.Round(100*time.Millisecond), startupTimes(rep), rep.Values["uptime_done"])
	})
}

// systemdDisk is the systemd guest's sysroot image and what was deployed.
type systemdDisk struct {
	k          *Kit
	dir, img   string
	stateroot  string
	deployment string // CSUM.SERIAL
	entry      *BootEntry
}

func newSystemdDisk(t *testing.T, k *Kit) *systemdDisk {
	t.Helper()
	ctx := context.Background()
	cfg, err := DefaultSystemdTreeConfig()
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	tarball, err := SystemdTreeTarball(cfg, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	sd := &systemdDisk{k: k, dir: filepath.Join(k.Work, "systemd"), stateroot: "os"}
	sd.img = filepath.Join(sd.dir, "sysroot.img")
	removeLater(t, sd.dir)
	tree, repo, sysroot := filepath.Join(sd.dir, "tree"), filepath.Join(sd.dir, "build"), filepath.Join(sd.dir, "sysroot")
	if err := PrepareSystemdTree(ctx, tarball, tree, k.TreeInputs()); err != nil {
		t.Fatal(err)
	}
	csum, err := k.Gostree.Commit(ctx, repo, "os/x86_64", tree, "sd1")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(sysroot, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := MakeSysroot(ctx, k.Gostree, sysroot, repo, SysrootOptions{Stateroot: sd.stateroot, Kargs: SystemdKargs}); err != nil {
		t.Fatal(err)
	}
	sd.deployment = csum + ".0"
	if sd.entry, err = DefaultBootEntry(sysroot); err != nil {
		t.Fatal(err)
	}
	if err := MakeDisk(ctx, sysroot, sd.img, "sysroot", "1G"); err != nil {
		t.Fatal(err)
	}
	RemoveTree(tree)
	t.Logf("systemd disk ready in %s (tree %s)", time.Since(t0).Round(100*time.Millisecond), tarball)
	return sd
}

// boot runs the disk once (through GRUB unless extra has -kernel), waits for
// the report and poweroff, and replays the journal.
func (sd *systemdDisk) boot(t *testing.T, name string, extra []string) (*Report, time.Duration) {
	t.Helper()
	ctx := context.Background()
	m := &Machine{ISO: sd.k.ISO, Disks: []string{sd.img}, ConsoleLog: filepath.Join(sd.dir, name+".console"), Extra: extra}
	r, err := m.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.WaitFor(regexp.MustCompile("^"+markerDone), 0, 4*time.Minute); err != nil {
		r.Kill()
		t.Fatal(err)
	}
	if err := r.Wait(time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := Fsck(ctx, sd.img); err != nil {
		t.Fatal(err)
	}
	rep, err := ParseReport(r.Lines())
	if err != nil {
		t.Fatalf("%v; console tail:\n%s", err, r.Tail(40))
	}
	return rep, r.Elapsed()
}

// checkSystemdReport asserts what a booted systemd guest reported. varUnit
// is var.mount's unit file when the generator wrote it, "" when
// prepare-root bound /var (systemd then only sees the mount).
func checkSystemdReport(t *testing.T, rep *Report, sd *systemdDisk, varUnit string) {
	t.Helper()
	if got := rep.Values["system_state"]; got != "running" {
		t.Errorf("systemctl is-system-running = %q, want running", got)
	}
	if got := rep.Values["pid1"]; got != "systemd" {
		t.Errorf("/proc/1/comm = %q, want systemd", got)
	}
	deployDir := "/ostree/deploy/" + sd.stateroot + "/deploy/" + sd.deployment
	checkMounts(t, rep.Blocks["mountinfo"], deployDir, "/ostree/deploy/"+sd.stateroot+"/var")
	for _, tool := range []string{"gostree-status", "ostree-status"} {
		if rep.RC[tool] != "0" || !bootedLine(rep.Blocks[tool], sd.stateroot, sd.deployment) {
			t.Errorf("%s (rc=%s) does not mark %s booted with '*':\n%s", tool, rep.RC[tool], sd.deployment, rep.Blocks[tool])
		}
	}
	for _, unit := range []string{"health", "remount"} {
		if got := strings.TrimSpace(rep.Blocks[unit+"-active"]); got != "active" {
			t.Errorf("systemctl is-active gostree-%s.service = %q, want active", unit, got)
		}
	}
	if got := rep.Values["generator_remount"]; got != "yes" {
		t.Errorf("gostree-system-generator did not pull in gostree-remount.service (%q)", got)
	}
	var rec struct {
		BootID     string `json:"boot_id"`
		Deployment string `json:"deployment"`
		Result     string `json:"result"`
	}
	if err := json.Unmarshal([]byte(rep.Blocks["health-record"]), &rec); err != nil {
		t.Errorf("health record: %v:\n%s", err, rep.Blocks["health-record"])
	} else if rec.BootID != rep.Values["boot_id"] || rec.Deployment != sd.deployment || rec.Result != "good" {
		t.Errorf("health record boot %s deployment %s result %s, want boot %s deployment %s result good",
			rec.BootID, rec.Deployment, rec.Result, rep.Values["boot_id"], sd.deployment)
	}
	if failed := strings.TrimSpace(rep.Blocks["failed"]); failed != "" || rep.RC["failed"] != "0" {
		t.Errorf("systemctl --failed (rc=%s):\n%s", rep.RC["failed"], failed)
	}
	want := "ActiveState=active\nFragmentPath=" + varUnit
	if got := strings.TrimSpace(rep.Blocks["var-mount"]); got != want {
		t.Errorf("var.mount:\n%s\nwant:\n%s", got, want)
	}
}

// checkMounts asserts the OSTree layout in a guest's mountinfo: / is the
// deployment, /usr its usr read-only, /var the stateroot's var writable,
// /sysroot the physical root.
func checkMounts(t *testing.T, mountinfo, deployDir, varDir string) {
	t.Helper()
	mounts, err := ParseMountinfo(mountinfo)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		point, root string
		ro          bool
	}{
		{"/", deployDir, false},
		{"/usr", deployDir + "/usr", true},
		{"/var", varDir, false},
		{"/sysroot", "/", false},
	} {
		m, ok := mounts[w.point]
		if !ok {
			t.Errorf("nothing mounted at %s; mountinfo:\n%s", w.point, mountinfo)
			continue
		}
		if m.Root != w.root || m.ReadOnly() != w.ro {
			t.Errorf("%s: root %s ro=%v, want root %s ro=%v", w.point, m.Root, m.ReadOnly(), w.root, w.ro)
		}
	}
}

// bootedLine reports whether status output marks the deployment booted
// ("* STATEROOT CSUM.SERIAL").
func bootedLine(status, stateroot, deployment string) bool {
	for _, l := range strings.Split(status, "\n") {
		if f := strings.Fields(l); len(f) >= 3 && f[0] == "*" && f[1] == stateroot && f[2] == deployment {
			return true
		}
	}
	return false
}

// startupTimes says when systemd started (kernel and initramfs) and how long
// it took to finish booting, as systemd-analyze time does.
func startupTimes(rep *Report) string {
	us := map[string]float64{}
	for _, l := range strings.Split(rep.Blocks["startup"], "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			us[k], _ = strconv.ParseFloat(v, 64)
		}
	}
	start, finish := us["UserspaceTimestampMonotonic"], us["FinishTimestampMonotonic"]
	if start == 0 || finish == 0 {
		return "startup times unknown: " + rep.Blocks["startup"]
	}
	return fmt.Sprintf("systemd started at %.1fs, booted %.1fs later", start/1e6, (finish-start)/1e6)
}
