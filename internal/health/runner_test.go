package health

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/testutil"
)

// writeScript puts a script at ROOT/rel with the given mode.
func writeScript(t *testing.T, root, rel, body string, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
}

// summary renders results as "name:state" for comparison.
func summary(rs []CheckResult) []string {
	var out []string
	for _, r := range rs {
		state := "ok"
		switch {
		case r.Skipped:
			state = "skipped"
		case r.TimedOut:
			state = "timeout"
		case r.ExitStatus != 0:
			state = "exit" + string(rune('0'+r.ExitStatus%10))
		}
		kind := "W"
		if r.Required {
			kind = "R"
		}
		out = append(out, kind+" "+r.Name+":"+state)
	}
	return out
}

func run(t *testing.T, root string, conf string) ([]CheckResult, bool, string) {
	t.Helper()
	var buf bytes.Buffer
	r := &Runner{Root: root, Config: ParseConfig([]byte(conf)), Out: &buf, Grace: 500 * time.Millisecond}
	res, ok, err := r.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res, ok, buf.String()
}

func TestCheckOrderAndSelection(t *testing.T) {
	root := t.TempDir()
	// A log every script appends to shows the order they really ran in.
	log := filepath.Join(root, "ran")
	body := func(name string) string { return "#!/bin/sh\necho " + name + " >> " + log + "\n" }
	writeScript(t, root, "etc/greenboot/check/required.d/00-etc.sh", body("etc-req"), 0o644)
	writeScript(t, root, "usr/lib/greenboot/check/wanted.d/00-w.sh", body("usr-wanted"), 0o644)
	writeScript(t, root, "usr/lib/greenboot/check/required.d/20-b.sh", body("usr-req-b"), 0o644)  // no exec bit: still runs
	writeScript(t, root, "usr/lib/greenboot/check/required.d/10-a", body("usr-req-a"), 0o755)     // executable without .sh
	writeScript(t, root, "usr/lib/greenboot/check/required.d/30-notes.txt", body("never"), 0o644) // neither: ignored
	writeScript(t, root, "usr/lib/greenboot/check/required.d/sub/40-deep.sh", body("never"), 0o755)
	writeScript(t, root, "etc/greenboot/check/wanted.d/50-e.sh", body("etc-wanted"), 0o755)

	res, ok, _ := run(t, root, "")
	if !ok {
		t.Fatalf("boot failed: %v", summary(res))
	}
	want := []string{"R 10-a:ok", "R 20-b.sh:ok", "W 00-w.sh:ok", "R 00-etc.sh:ok", "W 50-e.sh:ok"}
	if d := cmp.Diff(want, summary(res)); d != "" {
		t.Fatalf("results (-want +got):\n%s", d)
	}
	ran, _ := os.ReadFile(log)
	wantRan := "usr-req-a\nusr-req-b\nusr-wanted\netc-req\netc-wanted\n"
	if string(ran) != wantRan {
		t.Fatalf("ran %q, want %q", ran, wantRan)
	}
	if res[0].Path != "/usr/lib/greenboot/check/required.d/10-a" {
		t.Fatalf("path %q, want it as seen inside the root", res[0].Path)
	}
}

func TestRequiredFailureSkipsTheRest(t *testing.T) {
	root := t.TempDir()
	writeScript(t, root, "usr/lib/greenboot/check/required.d/10-ok.sh", "true\n", 0o644)
	writeScript(t, root, "usr/lib/greenboot/check/required.d/20-fail.sh", "echo first\necho 'disk is gone' >&2\nexit 3\n", 0o644)
	writeScript(t, root, "usr/lib/greenboot/check/required.d/30-late.sh", "touch "+root+"/late-ran\n", 0o644)
	writeScript(t, root, "usr/lib/greenboot/check/wanted.d/10-w.sh", "true\n", 0o644)
	writeScript(t, root, "etc/greenboot/check/required.d/10-e.sh", "true\n", 0o644)

	res, ok, log := run(t, root, "")
	if ok {
		t.Fatal("boot good despite a failed required check")
	}
	want := []string{"R 10-ok.sh:ok", "R 20-fail.sh:exit3", "R 30-late.sh:skipped", "W 10-w.sh:skipped", "R 10-e.sh:skipped"}
	if d := cmp.Diff(want, summary(res)); d != "" {
		t.Fatalf("results (-want +got):\n%s", d)
	}
	if _, err := os.Stat(filepath.Join(root, "late-ran")); err == nil {
		t.Fatal("a required check after the failure ran")
	}
	if res[1].Output != "first\ndisk is gone\n" {
		t.Fatalf("output %q", res[1].Output)
	}
	for _, line := range []string{
		"health: required check 20-fail.sh failed (exit 3)\n",
		"20-fail.sh: disk is gone\n",
		"health: required check 30-late.sh skipped due to a previous failure\n",
	} {
		if !strings.Contains(log, line) {
			t.Errorf("log lacks %q:\n%s", line, log)
		}
	}
}

func TestWantedFailureIsNotFatal(t *testing.T) {
	root := t.TempDir()
	writeScript(t, root, "usr/lib/greenboot/check/wanted.d/10-flaky.sh", "exit 1\n", 0o644)
	writeScript(t, root, "etc/greenboot/check/required.d/10-ok.sh", "true\n", 0o644)
	res, ok, log := run(t, root, "")
	if !ok {
		t.Fatalf("a wanted failure failed the boot: %v", summary(res))
	}
	if d := cmp.Diff([]string{"W 10-flaky.sh:exit1", "R 10-ok.sh:ok"}, summary(res)); d != "" {
		t.Fatal(d)
	}
	if !strings.Contains(log, "health: wanted check 10-flaky.sh failed (exit 1)") {
		t.Fatalf("log:\n%s", log)
	}
}

func TestDisabledChecks(t *testing.T) {
	root := t.TempDir()
	writeScript(t, root, "usr/lib/greenboot/check/required.d/10-fail.sh", "exit 1\n", 0o644)
	writeScript(t, root, "etc/greenboot/check/required.d/20-ok.sh", "true\n", 0o644)
	writeScript(t, root, "etc/greenboot/red.d/50-page.sh", "true\n", 0o644)
	conf := "# site config\nDISABLED_HEALTHCHECKS=( \"10-fail.sh\"\n  \"99-gone.sh\" \"50-page.sh\" ) # three\n"
	res, ok, log := run(t, root, conf)
	if !ok {
		t.Fatalf("disabled check still failed the boot: %v", summary(res))
	}
	if d := cmp.Diff([]string{"R 10-fail.sh:skipped", "R 20-ok.sh:ok"}, summary(res)); d != "" {
		t.Fatal(d)
	}
	if !strings.Contains(log, "DISABLED_HEALTHCHECKS names 99-gone.sh, which matches no check") {
		t.Fatalf("no warning for an unmatched name:\n%s", log)
	}
	if strings.Contains(log, "50-page.sh, which matches") {
		t.Fatalf("a disabled red.d script drew a warning:\n%s", log)
	}
}

func TestHungCheckIsKilled(t *testing.T) {
	root := t.TempDir()
	pidfile := filepath.Join(root, "child.pid")
	// The check forks a child that ignores SIGTERM; the whole group must go.
	writeScript(t, root, "usr/lib/greenboot/check/required.d/10-hang.sh",
		"# gostree-timeout: 1\n(trap '' TERM; sleep 1000) &\necho $! > "+pidfile+"\necho waiting\nsleep 1000\n", 0o644)
	start := time.Now()
	res, ok, log := run(t, root, "")
	took := time.Since(start)
	if ok || !res[0].TimedOut {
		t.Fatalf("hung check: ok=%v %+v", ok, res[0])
	}
	if took > 4*time.Second {
		t.Fatalf("killing the check took %s", took)
	}
	if res[0].Timeout != time.Second || res[0].Output != "waiting\n" {
		t.Fatalf("timeout %s output %q", res[0].Timeout, res[0].Output)
	}
	if !strings.Contains(log, "health: required check 10-hang.sh failed (timed out after 1s, killed)") {
		t.Fatalf("log:\n%s", log)
	}
	data, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(string(data))
	deadline := time.Now().Add(2 * time.Second)
	for {
		st, err := os.ReadFile("/proc/" + pid + "/stat")
		// Gone, or a zombie waiting for init, both mean killed.
		if err != nil || strings.Contains(string(st), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %s of the hung check survived", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("hung check killed after %s", took)
}

func TestTimeoutSources(t *testing.T) {
	root := t.TempDir()
	writeScript(t, root, "usr/lib/greenboot/check/required.d/10-hdr.sh", "#!/bin/bash\n# gostree-timeout: 30\ntrue\n", 0o644)
	writeScript(t, root, "usr/lib/greenboot/check/required.d/20-conf.sh", "# gostree-timeout: 30\ntrue\n", 0o644)
	writeScript(t, root, "usr/lib/greenboot/check/required.d/30-plain.sh", "true\n", 0o644)
	conf := "GREENBOOT_CHECK_TIMEOUT=120\nGREENBOOT_CHECK_TIMEOUT_20_conf_sh=7\n"
	res, _, _ := run(t, root, conf)
	got := []time.Duration{res[0].Timeout, res[1].Timeout, res[2].Timeout}
	want := []time.Duration{30 * time.Second, 7 * time.Second, 120 * time.Second}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("timeouts (-want +got):\n%s", d)
	}
	res, _, _ = run(t, root, "")
	if res[2].Timeout != DefaultTimeout {
		t.Fatalf("default timeout %s", res[2].Timeout)
	}
}

func TestOutputTail(t *testing.T) {
	root := t.TempDir()
	writeScript(t, root, "usr/lib/greenboot/check/required.d/10-loud.sh",
		"i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo line$i; done; printf 'no newline'\n", 0o644)
	res, _, log := run(t, root, "")
	lines := strings.Split(strings.TrimSuffix(res[0].Output, "\n"), "\n")
	if len(lines) != TailLines || lines[0] != "line82" || lines[TailLines-1] != "no newline" {
		t.Fatalf("tail has %d lines %q..%q", len(lines), lines[0], lines[len(lines)-1])
	}
	if !strings.Contains(log, "10-loud.sh: line1\n") || !strings.Contains(log, "10-loud.sh: no newline\n") {
		t.Fatal("log misses the full prefixed output")
	}
}

func TestExitCodes(t *testing.T) {
	root := t.TempDir()
	writeScript(t, root, "usr/lib/greenboot/check/wanted.d/10-signal.sh", "kill -9 $$\n", 0o644)
	writeScript(t, root, "usr/lib/greenboot/check/wanted.d/20-noexec", "\x7fELFgarbage", 0o755)
	res, ok, _ := run(t, root, "")
	if !ok {
		t.Fatal("wanted failures failed the boot")
	}
	if res[0].ExitStatus != 128+9 {
		t.Fatalf("killed check exit %d, want 137", res[0].ExitStatus)
	}
	if res[1].ExitStatus != 126 || res[1].Output == "" {
		t.Fatalf("unrunnable check: %+v", res[1])
	}
}

func TestGreenRedScripts(t *testing.T) {
	root := t.TempDir()
	log := filepath.Join(root, "ran")
	writeScript(t, root, "usr/lib/greenboot/green.d/10-g.sh", "echo usr >> "+log+"\nexit 1\n", 0o644)
	writeScript(t, root, "etc/greenboot/green.d/10-g.sh", "echo etc >> "+log+"\n", 0o644)
	writeScript(t, root, "etc/greenboot/red.d/10-r.sh", "echo red >> "+log+"\n", 0o644)
	var buf bytes.Buffer
	r := &Runner{Root: root, Out: &buf, Config: ParseConfig(nil)}
	res, err := r.RunScripts(context.Background(), "green")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || !res[0].Failed() || res[1].Failed() {
		t.Fatalf("green results %+v", res)
	}
	ran, _ := os.ReadFile(log)
	if string(ran) != "usr\netc\n" {
		t.Fatalf("green ran %q; red must not run", ran)
	}
	if !strings.Contains(buf.String(), "health: green script 10-g.sh failed (exit 1)") {
		t.Fatalf("log:\n%s", buf.String())
	}
}

func TestNoChecksIsGood(t *testing.T) {
	res, ok, _ := run(t, t.TempDir(), "")
	if !ok || len(res) != 0 {
		t.Fatalf("empty root: ok=%v %v", ok, res)
	}
}

// BenchmarkCheck measures the cost of one trivial check: discovery, a
// process group, output capture.
func BenchmarkCheck(b *testing.B) {
	root := b.TempDir()
	p := filepath.Join(root, "usr/lib/greenboot/check/required.d/10-ok.sh")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("echo ok\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	r := &Runner{Root: root, Config: ParseConfig(nil)}
	for b.Loop() {
		if _, ok, err := r.Check(context.Background()); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func TestOverlongLineIsCut(t *testing.T) {
	root := t.TempDir()
	writeScript(t, root, "usr/lib/greenboot/check/required.d/10-long.sh",
		"head -c 200000 /dev/zero | tr '\\\\0' x; echo; echo after\n", 0o644)
	res, ok, _ := run(t, root, "")
	if !ok {
		t.Fatalf("%+v", res)
	}
	lines := strings.Split(res[0].Output, "\n")
	if len(lines) != 3 || len(lines[0]) != maxLine || lines[1] != "after" {
		t.Fatalf("output tail: %d lines, first %d bytes", len(lines), len(lines[0]))
	}
}

// *.sh runs with bash when PATH has it, else with /bin/sh.
func TestShellChoice(t *testing.T) {
	testutil.RequiresTool(t, "bash")
	root := t.TempDir()
	writeScript(t, root, "usr/lib/greenboot/check/required.d/10-which.sh", "echo \"bash=${BASH_VERSION:+yes}\"\n", 0o644)
	res, _, _ := run(t, root, "")
	if res[0].Output != "bash=yes\n" {
		t.Fatalf("with bash on PATH: %q", res[0].Output)
	}
	if out, _ := exec.Command("/bin/sh", "-c", "echo ${BASH_VERSION:+yes}").Output(); string(out) == "yes\n" {
		return // /bin/sh is bash here: the fallback cannot be told apart
	}
	t.Setenv("PATH", t.TempDir())
	res, _, _ = run(t, root, "")
	if res[0].Output != "bash=\n" {
		t.Fatalf("without bash on PATH: %q", res[0].Output)
	}
}
