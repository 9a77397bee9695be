package boot

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runTimeout bounds one qemu run of several boots (TCG, ~15 s a boot).
const runTimeout = 5 * time.Minute

var (
	okConf  = "GREENBOOT_MAX_BOOT_ATTEMPTS=2\nGREENBOOT_CHECK_TIMEOUT=3\n"
	okCheck = required("00-ok.sh", "echo all fine\n")
)

// upgradeOnce is an actions.sh that upgrades once from version from (a flag
// under /var remembers it) and reboots; on later boots of from it runs then.
func upgradeOnce(from, flag, then string) string {
	return `mkdir -p /var/lib/gostree-test
case "$VERSION" in
` + from + `)
  if [ ! -e /var/lib/gostree-test/` + flag + ` ]; then
    touch /var/lib/gostree-test/` + flag + `
    echo UPGRADE-BEGIN; gostree admin upgrade; echo "UPGRADE-END rc=$?"
    reboot -f
  fi
  ` + then + `;;
esac
`
}

// TestSmallInit chains scenarios a-e and h on one sysroot disk: each
// scenario starts from the state the previous one left.
func TestSmallInit(t *testing.T) {
	// One qemu (one TCG thread) per test: the two chains share the CPUs.
	t.Parallel()
	k := sharedKit(t)
	t0 := time.Now()
	g := newGuest(t, k, "smallinit", OSVersion{Version: "v1", Files: greenboot(okConf, okCheck, redD, greenD)})
	step := newChain(t).step
	step("a_boot_v1", func(t *testing.T) { scenarioBootV1(t, g) })
	step("b_failed_check_rolls_back", func(t *testing.T) { scenarioFailedCheck(t, g) })
	step("h_var_app_across_upgrade_and_rollback", func(t *testing.T) { scenarioVarApp(t, g) })
	step("c_good_upgrade", func(t *testing.T) { scenarioGoodUpgrade(t, g) })
	step("d_hanging_check_times_out", func(t *testing.T) { scenarioHangingCheck(t, g) })
	step("e_init_never_starts", func(t *testing.T) { scenarioInitNeverStarts(t, g) })
	t.Logf("small-init scenarios: %.1fs total", time.Since(t0).Seconds())
}

// a: PID 1 runs from the deployment with /usr read-only, /etc and /var
// writable, and admin status in the guest marks it booted.
func scenarioBootV1(t *testing.T, g *guest) {
	r := g.boot(t, "a", `echo edited-under-v1 > /etc/gostree-test-edit && echo ETC-EDITED`, runTimeout)
	bs := boots(r)
	if len(bs) != 1 {
		t.Fatalf("want one boot, got %d (%s); console tail:\n%s", len(bs), versions(r), r.Tail(40))
	}
	want := bootLine{g.csum["v1"] + ".0", "v1", "1", "ro", "rw", "rw", "yes"}
	if bs[0].bootLine != want {
		t.Errorf("boot: got %+v\nwant %+v", bs[0].bootLine, want)
	}
	st := blocks(r, "STATUS-BEGIN", "STATUS-END")
	if len(st) != 1 || !strings.Contains(st[0], "* os "+g.csum["v1"]+".0") || rc(st[0]) != 0 {
		t.Errorf("admin status does not mark %s.0 booted:\n%s", short(g.csum["v1"]), strings.Join(st, "\n--\n"))
	}
	if ms, found := marker(r, "PREPARE-ROOT-MS"); !found {
		t.Errorf("no PREPARE-ROOT-MS from the initramfs")
	} else {
		t.Logf("prepare-root took %s ms", ms)
	}
	h := blocks(r, "HEALTH-BEGIN", "HEALTH-END")
	if len(h) != 1 || rc(h[0]) != 0 || len(r.Matching(reLit("GREEN-D ran version=v1"))) != 1 {
		t.Errorf("health run on v1 should pass and run green.d:\n%s", strings.Join(h, "\n--\n"))
	}
	if len(r.Matching(reLit("ETC-EDITED"))) != 1 || len(r.Matching(reLit("POWEROFF"))) != 1 {
		t.Errorf("the test init did not finish; console tail:\n%s", r.Tail(30))
	}
}

// b: v2's required check fails; after two attempts GRUB falls back to v1,
// whose health run makes the rollback durable.
func scenarioFailedCheck(t *testing.T, g *guest) {
	fails := required("10-fails.sh", "echo 'v2 check: frobnicator is down'\nexit 1\n")
	g.version(t, OSVersion{Version: "v2", Files: greenboot(okConf, okCheck, fails, redD, greenD)})
	then := `echo STATUS-BEGIN; gostree admin status; echo "STATUS-END rc=$?"
  echo "ETC-EDIT=$(cat /etc/gostree-test-edit)"; echo RETRY-BEGIN; gostree admin upgrade; echo "RETRY-END rc=$?"`
	r := g.boot(t, "b", upgradeOnce("v1", "upgraded-v2", then), runTimeout)
	if got := versions(r); got != "v1,v2,v2,v1" {
		t.Fatalf("booted versions: got %s, want v1,v2,v2,v1; console tail:\n%s", got, r.Tail(60))
	}
	if up := blocks(r, "UPGRADE-BEGIN", "UPGRADE-END"); len(up) != 1 || rc(up[0]) != 0 {
		t.Errorf("upgrade to v2 in the guest failed:\n%s", strings.Join(up, "\n--\n"))
	}
	bs := boots(r)
	for _, b := range bs[1:3] {
		for _, want := range []string{"health: required check 10-fails.sh failed (exit 1)", "RED-D ran version=v2", "health: rebooting"} {
			if !b.has(want) {
				t.Errorf("boot of v2 lacks %q:\n%s", want, b.text())
			}
		}
	}
	if fb := bs[3]; !fb.has("fallback boot detected") || !fb.has("HEALTH-END rc=0") {
		t.Errorf("v1 after the fallback should detect it and pass its checks:\n%s", fb.text())
	}
	// The fallback boot's status before its health run names v2's failed
	// check and output; after it, v1 is the default and v2 rolled back.
	st := blocks(r, "STATUS-BEGIN", "STATUS-END")
	if len(st) != 5 {
		t.Fatalf("want 5 admin status outputs (one per boot, one after the fallback), got %d", len(st))
	}
	for _, want := range []string{g.csum["v2"], "10-fails.sh (exit 1): v2 check: frobnicator is down", "* os " + g.csum["v1"] + ".0"} {
		if !strings.Contains(st[3], want) {
			t.Errorf("admin status in the fallback boot lacks %q:\n%s", want, st[3])
		}
	}
	if first, _, _ := strings.Cut(st[4], "\n"); first != "* os "+g.csum["v1"]+".0" || !strings.Contains(st[4], "rolled back: required check 10-fails.sh") {
		t.Errorf("admin status after the health run: want v1 booted and first, v2 rolled back:\n%s", st[4])
	}
	if v, _ := marker(r, "ETC-EDIT"); v != "edited-under-v1" {
		t.Errorf("/etc edit made under v1: got %q after the rollback", v)
	}
	if retry := blocks(r, "RETRY-BEGIN", "RETRY-END"); len(retry) != 1 || rc(retry[0]) == 0 || !strings.Contains(retry[0], g.csum["v2"]) {
		t.Errorf("admin upgrade to the failed v2 should be refused, naming it:\n%s", strings.Join(retry, "\n--\n"))
	}
	env := grubEnv(t, g)
	if _, set := env["boot_counter"]; set {
		t.Errorf("grubenv after the durable rollback: boot_counter=%s, want unset", env["boot_counter"])
	}
	// The failed check's output is kept with the failed commit.
	g.with(t, func(dir string) error {
		recs := healthFiles(t, dir)
		if !strings.Contains(recs, g.csum["v2"]) || !strings.Contains(recs, "frobnicator is down") {
			t.Errorf("health store does not record v2 %s failing with its check output", short(g.csum["v2"]))
		}
		return nil
	})
}

// h: the /var application's data accumulates across v1, v2, v1.
func scenarioVarApp(t *testing.T, g *guest) {
	var history []string
	for _, r := range g.runs {
		history = append(history, strings.Split(versions(r), ",")...)
	}
	want := strings.Join(history, ",") + ","
	lines := g.runs[len(g.runs)-1].Matching(reLit("APP version="))
	if len(lines) == 0 {
		t.Fatal("the /var application did not run")
	}
	last := lines[len(lines)-1]
	if !strings.HasSuffix(last, "history="+want) {
		t.Errorf("app data: got %q, want history=%s", last, want)
	}
	if !strings.Contains(want, "v1,v2,v2,v1,") {
		t.Errorf("boot history %s does not cover v1, v2, v1", want)
	}
}

// c: v3's checks pass: the counter is cleared and v3 stays the default.
func scenarioGoodUpgrade(t *testing.T, g *guest) {
	g.version(t, OSVersion{Version: "v3", Files: greenboot(okConf, okCheck, redD, greenD)})
	r := g.boot(t, "c", upgradeOnce("v1", "upgraded-v3", "true"), runTimeout)
	if got := versions(r); got != "v1,v3" {
		t.Fatalf("booted versions: got %s, want v1,v3; console tail:\n%s", got, r.Tail(60))
	}
	if len(r.Matching(reLit("GREEN-D ran version=v3"))) != 1 || len(r.Matching(reLit("RED-D"))) != 0 {
		t.Errorf("v3's health run should be green only; console tail:\n%s", r.Tail(40))
	}
	st := blocks(r, "STATUS-BEGIN", "STATUS-END")
	if !strings.Contains(st[len(st)-1], "* os "+g.csum["v3"]+".0") {
		t.Errorf("admin status on v3:\n%s", st[len(st)-1])
	}
	env := grubEnv(t, g)
	if _, set := env["boot_counter"]; set || env["boot_success"] != "1" {
		t.Errorf("grubenv after a good boot: %v, want no boot_counter and boot_success=1", env)
	}
	g.with(t, func(dir string) error {
		if rec := lastRecord(t, dir, g.csum["v3"]+".0"); rec == nil || rec.Result != "good" {
			t.Errorf("health record of v3: %+v, want result good", rec)
		}
		// The next boot's default, as the host reads the sysroot.
		out, err := g.k.Gostree.Run(context.Background(), "admin", "status", "--sysroot="+dir)
		if first, _, _ := strings.Cut(strings.TrimLeft(out, " *"), "\n"); err != nil || first != "os "+g.csum["v3"]+".0" {
			t.Errorf("admin status on the host: want v3 %s first: %v\n%s", short(g.csum["v3"]), err, out)
		}
		return nil
	})
}

// d: a hanging required check is stopped at its 3 s timeout and fails.
func scenarioHangingCheck(t *testing.T, g *guest) {
	conf := "GREENBOOT_MAX_BOOT_ATTEMPTS=1\nGREENBOOT_CHECK_TIMEOUT=3\n"
	hang := required("20-hangs.sh", "echo hanging\nsleep 1000\n")
	g.version(t, OSVersion{Version: "v4", Files: greenboot(conf, okCheck, hang, redD, greenD)})
	r := g.boot(t, "d", upgradeOnce("v3", "upgraded-v4", "true"), runTimeout)
	if got := versions(r); got != "v3,v4,v3" {
		t.Fatalf("booted versions: got %s, want v3,v4,v3; console tail:\n%s", got, r.Tail(60))
	}
	g.with(t, func(dir string) error {
		rec := lastRecord(t, dir, g.csum["v4"]+".0")
		if rec == nil {
			t.Fatalf("no health record for v4")
		}
		var c *checkJSON
		for i := range rec.Checks {
			if rec.Checks[i].Name == "20-hangs.sh" {
				c = &rec.Checks[i]
			}
		}
		if rec.Result != "failed" || c == nil || !c.TimedOut || c.Duration < 3*time.Second || c.Duration > 10*time.Second {
			t.Errorf("v4's hanging check: record %+v, check %+v; want failed, timed out after ~3s", rec, c)
		}
		return nil
	})
	st := blocks(r, "STATUS-BEGIN", "STATUS-END")
	if last := st[len(st)-1]; !strings.Contains(last, "* os "+g.csum["v3"]+".0") || !strings.Contains(last, g.csum["v4"]) {
		t.Errorf("admin status after the fallback to v3:\n%s", last)
	}
}

// e: v5's init exits at once; the kernel panics and reboots (panic=5) and
// GRUB's counter still falls back to v3, whose health run records it.
func scenarioInitNeverStarts(t *testing.T, g *guest) {
	conf := "GREENBOOT_MAX_BOOT_ATTEMPTS=1\n"
	g.version(t, OSVersion{Version: "v5", Init: "#!/bin/sh\necho INIT-EXITS version=v5\nexit 1\n", Files: greenboot(conf, okCheck)})
	r := g.boot(t, "e", upgradeOnce("v3", "upgraded-v5", "true"), runTimeout)
	if got := versions(r); got != "v3,-,v3" {
		t.Fatalf("booted versions: got %s, want v3,-,v3 (v5 never reaches BOOTED); console tail:\n%s", got, r.Tail(60))
	}
	if len(r.Matching(reLit("INIT-EXITS version=v5"))) != 1 || len(r.Matching(reLit("Kernel panic"))) == 0 {
		t.Errorf("v5 should start its init once and panic; console tail:\n%s", r.Tail(60))
	}
	g.with(t, func(dir string) error {
		rec := lastRecord(t, dir, g.csum["v3"]+".0")
		if rec == nil || rec.FallbackFrom == nil || rec.FallbackFrom.Commit != g.csum["v5"] {
			t.Errorf("v3's last health record should name the fallback from v5 %s: %+v", short(g.csum["v5"]), rec)
		}
		return nil
	})
}

// checkJSON and recordJSON decode the health records as docs/design/boot.md
// specifies them, independently of internal/health.
type checkJSON struct {
	Name     string        `json:"name"`
	TimedOut bool          `json:"timed_out"`
	Duration time.Duration `json:"duration_ns"`
	Output   string        `json:"output"`
}

type recordJSON struct {
	Deployment   string      `json:"deployment"`
	Result       string      `json:"result"`
	Finished     time.Time   `json:"finished"`
	Checks       []checkJSON `json:"checks"`
	FallbackFrom *struct {
		Commit string `json:"commit"`
		Reason string `json:"reason"`
	} `json:"fallback_from"`
}

const healthDir = "ostree/deploy/os/var/lib/gostree/health"

// healthFiles concatenates every file of the health store.
func healthFiles(t *testing.T, sysroot string) string {
	var b strings.Builder
	filepath.Walk(filepath.Join(sysroot, healthDir), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			b.Write(data)
		}
		return nil
	})
	return b.String()
}

// lastRecord is the newest boot record naming deployment.
func lastRecord(t *testing.T, sysroot, deployment string) *recordJSON {
	var last *recordJSON
	filepath.Walk(filepath.Join(sysroot, healthDir), func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() || !strings.HasSuffix(p, ".json") || filepath.Base(p) == "failed-commits.json" {
			return nil
		}
		data, _ := os.ReadFile(p)
		var r recordJSON
		if json.Unmarshal(data, &r) == nil && r.Deployment == deployment && (last == nil || r.Finished.After(last.Finished)) {
			last = &r
		}
		return nil
	})
	return last
}

func grubEnv(t *testing.T, g *guest) map[string]string {
	t.Helper()
	env, err := GrubEnv(context.Background(), g.disk)
	if err != nil {
		t.Fatal(err)
	}
	return env
}
