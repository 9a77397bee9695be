package admin_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli/admin"
	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/grubenv"
	"github.com/gostree/gostree/internal/health"
	"github.com/gostree/gostree/internal/sysroot"
	"github.com/gostree/gostree/internal/testutil"
)

func putCheck(t *testing.T, root, rel, body string) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// bootAgain is bootSim for a deployment that was booted before.
func bootAgain(t *testing.T, w *adminWorld, name string) string {
	t.Helper()
	run := t.TempDir()
	if err := os.WriteFile(filepath.Join(run, "ostree-booted"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(w.physical, "ostree/deploy/testos/deploy", name)
	clikit.HostOptions = sysroot.Options{Root: dir, BootedFlag: filepath.Join(run, "ostree-booted"), RunDir: filepath.Join(run, "ostree"), Cmdline: filepath.Join(run, "cmdline")}
	return dir
}

func grubVar(t *testing.T, path, name string) string {
	t.Helper()
	e, err := grubenv.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := e.Get(name)
	if !ok {
		return "<unset>"
	}
	return v
}

func mustContain(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// TestHealthRunFailThenFallback walks greenboot's story on a simulated
// booted system with a grubenv: the new default fails its required check,
// the loader falls back, and the next health run makes that durable.
func TestHealthRunFailThenFallback(t *testing.T) {
	testutil.RequiresRoot(t) // writes on a booted system need root
	w := newAdminWorld(t)
	env := filepath.Join(w.physical, "boot/grub/grubenv")
	if err := os.MkdirAll(filepath.Dir(env), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := grubenv.Write(env, grubenv.New()); err != nil {
		t.Fatal(err)
	}
	adminRun(t, "admin", "deploy", "--sysroot="+w.physical, "--os=testos", adminTestRef) // c2 first, counter armed
	if got := grubVar(t, env, "boot_counter"); got != "3" {
		t.Fatalf("deploy armed boot_counter=%s, want 3", got)
	}
	newDep, oldDep := w.c2+".0", w.c1+".0"

	// Boot 1 of c2: GRUB counted down; the required check fails.
	root := w.bootSim(t, newDep)
	putCheck(t, root, "etc/greenboot/check/required.d/10-fail.sh", "echo 'service x is down'\nexit 1\n")
	putCheck(t, root, "etc/greenboot/check/wanted.d/20-never.sh", "true\n")
	putCheck(t, root, "etc/greenboot/red.d/10-red.sh", "echo red ran > "+filepath.Join(root, "red-ran")+"\n")
	putCheck(t, root, "etc/greenboot/green.d/10-green.sh", "echo green ran > "+filepath.Join(root, "green-ran")+"\n")
	if err := grubenv.Update(env, func(e *grubenv.Env) error { return e.Set("boot_counter", "2") }); err != nil {
		t.Fatal(err)
	}
	sr, rt := "--sysroot="+root, "--root="+root
	store := health.OpenStore(filepath.Join(w.physical, "ostree/deploy/testos/var"))

	// Without --no-reboot it reboots, the record already on disk.
	rebooted := 0
	restore := admin.StubReboot(func(context.Context) error {
		rebooted++
		if r, err := store.LastFor(newDep); err != nil || r == nil || r.Result != health.ResultFailed {
			t.Errorf("rebooting before the record is written: %+v, %v", r, err)
		}
		return nil
	})
	defer restore()
	out, errs, code := clitest.RunOurs(t, nil, "health", "run", sr, rt)
	if code != 1 || rebooted != 1 || !strings.Contains(out, "health: rebooting (2 attempts left)\n") {
		t.Fatalf("failed armed boot: exit %d, %d reboots\n%s%s", code, rebooted, out, errs)
	}

	out, errs, code = clitest.RunOurs(t, nil, "health", "run", "--no-reboot", sr, rt)
	if code != 1 {
		t.Fatalf("failed boot: exit %d\n%s%s", code, out, errs)
	}
	mustContain(t, "health run", out,
		"10-fail.sh: service x is down\n",
		"health: required check 10-fail.sh failed (exit 1)\n",
		"health: wanted check 20-never.sh skipped due to a previous failure\n",
		"health: boot is FAILED\n",
		"health: not rebooting: --no-reboot given\n")
	if _, err := os.Stat(filepath.Join(root, "red-ran")); err != nil {
		t.Error("red.d did not run")
	}
	if _, err := os.Stat(filepath.Join(root, "green-ran")); err == nil {
		t.Error("green.d ran on a failed boot")
	}
	if got := grubVar(t, env, "boot_counter"); got != "2" {
		t.Errorf("a failed boot touched boot_counter: %s", got)
	}
	var st admin.HealthStatus
	if err := json.Unmarshal([]byte(adminRun(t, "health", "status", "--json", sr)), &st); err != nil {
		t.Fatal(err)
	}
	if st.LastBoot == nil || st.LastBoot.Result != health.ResultFailed || st.LastBoot.Deployment != newDep ||
		len(st.LastBoot.Checks) != 2 || st.LastBoot.Checks[0].Output != "service x is down\n" {
		t.Fatalf("health status --json last boot: %+v", st.LastBoot)
	}
	if st.BootCounting == nil || *st.BootCounting != (admin.BootCounting{Backend: "grubenv", Armed: true, Left: 2}) {
		t.Fatalf("health status --json boot counting: %+v", st.BootCounting)
	}
	mustContain(t, "admin status", adminRun(t, "admin", "status", sr),
		"    Health: failed: required check 10-fail.sh (exit 1): service x is down\n")

	// The attempts ran out; GRUB booted the old deployment with boot_counter=-1.
	if err := grubenv.Update(env, func(e *grubenv.Env) error { return e.Set("boot_counter", "-1") }); err != nil {
		t.Fatal(err)
	}
	root = w.bootSim(t, oldDep)
	sr, rt = "--sysroot="+root, "--root="+root
	out, errs, code = clitest.RunOurs(t, nil, "health", "run", sr, rt)
	if code != 0 {
		t.Fatalf("fallback boot: exit %d\n%s%s", code, out, errs)
	}
	t.Logf("fallback boot said:\n%s", out)
	reason := "required check 10-fail.sh failed (exit 1)"
	mustContain(t, "health run", out, "health: fallback boot detected: "+newDep+" did not boot ("+reason+"); making "+oldDep+" the default\n",
		"health: boot is GOOD\n")
	status := adminRun(t, "admin", "status", sr)
	if !strings.HasPrefix(status, "* testos "+oldDep+"\n") {
		t.Fatalf("fallback not made the default:\n%s", status)
	}
	mustContain(t, "admin status", status, "    Health: rolled back: "+reason+"\n", "    Health: good (")
	if got := grubVar(t, env, "boot_counter") + " " + grubVar(t, env, "boot_success"); got != "<unset> 1" {
		t.Errorf("after a good fallback boot: boot_counter boot_success = %s", got)
	}
	failed, err := store.FailedCommits()
	if err != nil {
		t.Fatal(err)
	}
	if f := failed[w.c2]; f.Reason != reason || f.Check == nil || f.Check.Output != "service x is down\n" {
		t.Fatalf("failed commit: %+v", f)
	}
	if err := json.Unmarshal([]byte(adminRun(t, "health", "status", "--json", sr)), &st); err != nil {
		t.Fatal(err)
	}
	if st.LastBoot.Deployment != oldDep || st.LastBoot.FallbackFrom == nil || st.LastBoot.FallbackFrom.Commit != w.c2 || len(st.Failed) != 1 {
		t.Fatalf("health status after fallback: %+v", st)
	}
	if rebooted != 1 {
		t.Errorf("the fallback boot rebooted")
	}
	mustContain(t, "health status", adminRun(t, "health", "status", sr),
		"Boot counting: grubenv, not armed\n", "Failed commits:\n  "+w.c2+" (testos, ")

	// A second run in the same boot keeps what the first one fell back from.
	adminRun(t, "health", "run", sr, rt)
	if err := json.Unmarshal([]byte(adminRun(t, "health", "status", "--json", sr)), &st); err != nil {
		t.Fatal(err)
	}
	if st.LastBoot.FallbackFrom == nil {
		t.Fatal("a re-run in the fallback boot lost the fallback")
	}

	// The admin fixes the check and boots c2 again by hand: it is good now.
	adminRun(t, "admin", "set-default", sr, "1")
	root = bootAgain(t, w, newDep)
	sr, rt = "--sysroot="+root, "--root="+root
	putCheck(t, root, "etc/greenboot/check/required.d/10-fail.sh", "echo fixed\n")
	out = adminRun(t, "health", "run", sr, rt)
	mustContain(t, "health run", out, "health: commit "+w.c2+" booted good; it is no longer listed as failed\n")
	status = adminRun(t, "admin", "status", sr)
	if strings.Contains(status, "rolled back") || !strings.Contains(status, "* testos "+newDep+"\n    Version: 2.0\n    origin refspec: "+adminTestRef+"\n    Health: good (") {
		t.Fatalf("status after a good boot of the failed commit:\n%s", status)
	}
}

func TestHealthHiddenFromHelp(t *testing.T) {
	out, _, _ := clitest.RunOurs(t, nil, "--help")
	if strings.Contains(out, "health") {
		t.Fatalf("ostree --help lists health:\n%s", out)
	}
}

// TestHealthRunOlderDeploymentByHand: booting the previous deployment by
// hand tests nothing about the counted default, so the counter stays;
// when the default never reached its checks, the fallback says so.
func TestHealthRunOlderDeploymentByHand(t *testing.T) {
	testutil.RequiresRoot(t)
	w := newAdminWorld(t)
	env := filepath.Join(w.physical, "boot/grub/grubenv")
	if err := os.MkdirAll(filepath.Dir(env), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := grubenv.Write(env, grubenv.New()); err != nil {
		t.Fatal(err)
	}
	adminRun(t, "admin", "deploy", "--sysroot="+w.physical, "--os=testos", adminTestRef)
	if err := grubenv.Update(env, func(e *grubenv.Env) error { return e.Set("boot_counter", "2") }); err != nil {
		t.Fatal(err)
	}
	root := w.bootSim(t, w.c1+".0")
	sr, rt := "--sysroot="+root, "--root="+root
	out := adminRun(t, "health", "run", sr, rt)
	mustContain(t, "health run", out, "health: boot is GOOD\n",
		"health: the default deployment is "+w.c2+".0, not the booted one; leaving the boot counter alone\n")
	if got := grubVar(t, env, "boot_counter") + " " + grubVar(t, env, "boot_success"); got != "2 0" {
		t.Errorf("a manual boot of the old deployment touched the counter: boot_counter boot_success = %s", got)
	}

	// The new default crashed before its checks on every attempt.
	if err := grubenv.Update(env, func(e *grubenv.Env) error { return e.Set("boot_counter", "-1") }); err != nil {
		t.Fatal(err)
	}
	out = adminRun(t, "health", "run", sr, rt)
	reason := "did not finish booting after 3 attempts"
	mustContain(t, "health run", out, "did not boot ("+reason+"); making "+w.c1+".0 the default\n", "health: boot is GOOD\n")
	mustContain(t, "admin status", adminRun(t, "admin", "status", sr), "    Health: rolled back: "+reason+"\n")
	if got := grubVar(t, env, "boot_counter") + " " + grubVar(t, env, "boot_success"); got != "<unset> 1" {
		t.Errorf("after the fallback boot: boot_counter boot_success = %s", got)
	}
}
