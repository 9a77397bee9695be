package health

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/testutil"
)

const distDir = "../../dist"

// TestHealthUnitVerifies has systemd check gostree-health.service in a
// root holding the stock targets and a stand-in /usr/bin/gostree.
func TestHealthUnitVerifies(t *testing.T) {
	sa := testutil.RequiresTool(t, "systemd-analyze")
	root := t.TempDir()
	units := filepath.Join(root, "usr/lib/systemd/system")
	if err := os.MkdirAll(units, 0o755); err != nil {
		t.Fatal(err)
	}
	targets, _ := filepath.Glob("/usr/lib/systemd/system/*.target")
	if len(targets) == 0 {
		testutil.Skip(t, "no systemd targets installed under /usr/lib/systemd/system")
	}
	for _, p := range append(targets, filepath.Join(distDir, "systemd/gostree-health.service")) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(units, filepath.Base(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(root, "usr/bin/gostree")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(units, "gostree-health.service")
	out, err := exec.Command(sa, "verify", "--root="+root, unit).CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Fatalf("systemd-analyze verify gostree-health.service: %v\n%s", err, out)
	}
	// The boot-loop guard lives in `health run`; the unit must not add a
	// reboot or a red target of its own.
	b, _ := os.ReadFile(unit)
	for _, bad := range []string{"FailureAction", "OnFailure", "SuccessAction"} {
		if strings.Contains(string(b), bad) {
			t.Errorf("gostree-health.service sets %s", bad)
		}
	}
}

func TestExampleCheckScripts(t *testing.T) {
	scripts, _ := filepath.Glob(filepath.Join(distDir, "greenboot/check/*/*"))
	if len(scripts) == 0 {
		t.Fatal("no example checks under dist/greenboot/check")
	}
	sc := testutil.RequiresTool(t, "shellcheck")
	for _, p := range scripts {
		if out, err := exec.Command("sh", "-n", p).CombinedOutput(); err != nil {
			t.Errorf("sh -n %s: %v\n%s", p, err, out)
		}
		if out, err := exec.Command(sc, "-s", "sh", p).CombinedOutput(); err != nil {
			t.Errorf("shellcheck %s: %v\n%s", p, err, out)
		}
	}
}
