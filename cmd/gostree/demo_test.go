package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDemo runs scripts/demo.sh (what `make demo` runs) with a freshly
// built binary, so that the README's first command keeps working, and
// checks the claims it prints.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the whole demo")
	}
	bin := filepath.Join(t.TempDir(), "gostree")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command("../../scripts/demo.sh", bin)
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	outb, err := cmd.CombinedOutput()
	out := string(outb)
	if err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		"1 delta parts, 0 loose fetched",
		"object fsck of 2 commits completed successfully",
		"Copying /etc changes: 1 modified",
		"hello from demo 2.0",
		"hello from demo 1.0",
		"greeting=howdy (a local edit)",
		"Demo finished",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	m := regexp.MustCompile(`through the delta: (\d+) bytes fetched; object by object: (\d+) bytes`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("demo does not report the bytes of both pulls:\n%s", out)
	}
	delta, _ := strconv.Atoi(m[1])
	objects, _ := strconv.Atoi(m[2])
	// The 1 MiB random file changes in a few bytes: its bsdiff is tiny,
	// while the object pull fetches it whole.
	if objects < 1<<20 || delta > objects/20 {
		t.Errorf("delta pull fetched %d bytes, object pull %d: expected a small fraction", delta, objects)
	}
}
