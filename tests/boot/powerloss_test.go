package boot

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// upgradeTo is an actions.sh that upgrades (staged or not) until target is
// booted; a non-staged upgrade reboots at once, a staged one is finalized
// by the test init just before poweroff.
func upgradeTo(target string, stage bool) string {
	if stage {
		return fmt.Sprintf("if [ \"$VERSION\" != %s ]; then echo UPGRADE-BEGIN; gostree admin upgrade --stage; echo \"UPGRADE-END rc=$?\"; fi\n", target)
	}
	return fmt.Sprintf("if [ \"$VERSION\" != %s ]; then echo UPGRADE-BEGIN; gostree admin upgrade; echo \"UPGRADE-END rc=$?\"; reboot -f; fi\n", target)
}

var (
	upgradeBeginRe  = regexp.MustCompile(`^UPGRADE-BEGIN$`)
	upgradeEndRe    = regexp.MustCompile(`^UPGRADE-END rc=`)
	finalizeStartRe = regexp.MustCompile(`^FINALIZE-START$`)
	finalizeEndRe   = regexp.MustCompile(`^FINALIZE-END rc=`)
)

// TestPowerLoss (f) cuts the power at spread-out points of an upgrade in
// the guest and once while a staged deployment is finalized. After each
// cut the sysroot's repository passes gostree fsck and the next boot comes
// up in the old or the new deployment.
func TestPowerLoss(t *testing.T) {
	// One qemu (one TCG thread) per test: the two chains share the CPUs.
	t.Parallel()
	k := sharedKit(t)
	t0 := time.Now()
	g := newGuest(t, k, "powerloss", heavyVersion(t, k, "p0"))

	// First a full upgrade (p1, rebooting at once), then a staged one (p2,
	// finalized at poweroff), to learn how long each step takes.
	g.version(t, heavyVersion(t, k, "p1"))
	r := g.boot(t, "f-calibrate-1", upgradeTo("p1", false), runTimeout)
	if got := versions(r); got != "p0,p1" {
		t.Fatalf("calibration: booted %s, want p0,p1; console tail:\n%s", got, r.Tail(40))
	}
	d := span(t, r, upgradeBeginRe, upgradeEndRe)
	g.version(t, heavyVersion(t, k, "p2"))
	r = g.boot(t, "f-calibrate-2", upgradeTo("p2", true), runTimeout)
	if got := versions(r); got != "p1" || !r.Contains("FINALIZE-END rc=0") {
		t.Fatalf("calibration: booted %s, want p1 staging and finalizing p2; console tail:\n%s", got, r.Tail(40))
	}
	fin := span(t, r, finalizeStartRe, finalizeEndRe)
	t.Logf("in the guest an upgrade takes %.1fs, finalizing a staged one %.1fs", d.Seconds(), fin.Seconds())

	// The last cut falls after the upgrade, while the guest reboots.
	allowed := []string{"p2"} // what the next boot may come up in
	for i, frac := range []float64{0.1, 0.3, 0.5, 0.7, 0.9, 1.3} {
		target := fmt.Sprintf("p%d", i+3)
		g.version(t, heavyVersion(t, k, target))
		name := fmt.Sprintf("f-cut-%d%%", int(frac*100))
		booted := g.cut(t, name, upgradeTo(target, false), allowed, upgradeBeginRe, time.Duration(frac*float64(d)))
		allowed = []string{booted, target}
	}
	g.version(t, heavyVersion(t, k, "ps"))
	booted := g.cut(t, "f-cut-finalize", upgradeTo("ps", true), allowed, finalizeStartRe, fin/2)
	allowed = []string{booted, "ps"}

	// One last boot: it must come up, and its health run must pass.
	r = g.boot(t, "f-after", "", runTimeout)
	bs := boots(r)
	if len(bs) != 1 || !contains(allowed, bs[0].Version) || !bs[0].has("HEALTH-END rc=0") {
		t.Fatalf("last boot: booted %s, want one good boot of %v; console tail:\n%s", versions(r), allowed, r.Tail(40))
	}
	t.Logf("power loss scenario: %.1fs total", time.Since(t0).Seconds())
}

// heavyVersion is a guest version whose upgrade has real work: 6 MiB of new
// content and an initramfs of its own (so a new /boot directory with a
// copy of the kernel), to spread the power cuts over pull, checkout and
// the boot files.
func heavyVersion(t *testing.T, k *Kit, version string) OSVersion {
	t.Helper()
	filler := make([]byte, 6<<20)
	if _, err := rand.Read(filler); err != nil {
		t.Fatal(err)
	}
	base, err := os.ReadFile(k.Initramfs)
	if err != nil {
		t.Fatal(err)
	}
	// The kernel looks for a further archive only at 4-byte offsets and
	// skips zero padding.
	for len(base)%4 != 0 {
		base = append(base, 0)
	}
	initrd := append(base, newcArchive(map[string]string{"initramfs-version": version})...)
	files := append(greenboot(okConf, okCheck),
		File{Path: "usr/share/gostree-test/filler", Data: string(filler)},
		File{Path: "usr/lib/modules/" + k.Kernel.Version + "/initramfs.img", Data: string(initrd)})
	return OSVersion{Version: version, Files: files}
}

// newcArchive is an uncompressed cpio (newc) archive of files; the kernel
// unpacks it after the compressed initramfs it is appended to.
func newcArchive(files map[string]string) []byte {
	var b bytes.Buffer
	pad := func() {
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	entry := func(name string, mode uint32, data string) {
		fmt.Fprintf(&b, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
		b.WriteString(name + "\x00")
		pad()
		b.WriteString(data)
		pad()
	}
	for name, data := range files {
		entry(name, 0o100644, data)
	}
	entry("TRAILER!!!", 0, "")
	return b.Bytes()
}

// cut boots the guest, checks the first boot is one of allowed, waits for
// the marker, cuts the power after delay, and checks the sysroot on the
// host. It returns the version that was booted.
func (g *guest) cut(t *testing.T, name, actions string, allowed []string, marker *regexp.Regexp, delay time.Duration) string {
	t.Helper()
	r := g.start(t, name, actions)
	if _, _, err := r.WaitFor(bootedRe, 0, runTimeout); err != nil {
		r.Kill()
		t.Fatalf("%s: %v", name, err)
	}
	first := boots(r)[0]
	if !contains(allowed, first.Version) {
		r.Kill()
		t.Fatalf("%s: came up in %s after the previous power cut, want one of %v; console tail:\n%s", name, first.Version, allowed, r.Tail(40))
	}
	if _, _, err := r.WaitFor(marker, 0, runTimeout); err != nil {
		r.Kill()
		t.Fatalf("%s: %v", name, err)
	}
	time.Sleep(delay)
	r.Kill()
	last := r.Lines()
	t.Logf("%s: came up in %s; power cut %s after /%s/, last console line %q", name, first.Version, delay.Round(10*time.Millisecond), marker, lastLine(last))
	g.fsck(t)
	g.with(t, func(dir string) error {
		ctx := context.Background()
		if out, err := g.k.Gostree.Run(ctx, "fsck", "--repo="+filepath.Join(dir, "ostree/repo")); err != nil {
			t.Errorf("%s: gostree fsck of the sysroot repo after the power cut: %v\n%s", name, err, out)
		}
		if out, err := g.k.Gostree.Run(ctx, "admin", "status", "--sysroot="+dir); err != nil {
			t.Errorf("%s: admin status after the power cut: %v\n%s", name, err, out)
		}
		return nil
	})
	if t.Failed() {
		t.FailNow()
	}
	return first.Version
}

// span is the time between the first lines matching from and to.
func span(t *testing.T, r *Run, from, to *regexp.Regexp) time.Duration {
	t.Helper()
	var a, b time.Time
	for _, bt := range r.Boots() {
		for i, l := range bt.Lines {
			if a.IsZero() && from.MatchString(l) {
				a = bt.Times[i]
			}
			if b.IsZero() && !a.IsZero() && to.MatchString(l) {
				b = bt.Times[i]
			}
		}
	}
	if a.IsZero() || b.IsZero() {
		t.Fatalf("no /%s/ ... /%s/ on the console; tail:\n%s", from, to, r.Tail(40))
	}
	return b.Sub(a)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func lastLine(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if s := strings.TrimSpace(lines[i]); s != "" {
			return s
		}
	}
	return ""
}
