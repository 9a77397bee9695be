package prepareroot

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/testutil"
)

// nsEnv marks the child process that runs a test inside its own mount
// namespace.
const nsEnv = "GOSTREE_PREPAREROOT_IN_NS"

// inNamespace reports whether the calling test should run its body: true
// in the child, which runs only this test in a new mount namespace whose
// mounts are all private (Go's exec makes / rprivate after unsharing), so
// nothing the test mounts reaches the host. In the parent it starts that
// child, fails the test with its output if it fails, and returns false.
func inNamespace(t *testing.T) bool {
	t.Helper()
	if os.Getenv(nsEnv) != "" {
		return true
	}
	testutil.RequiresRoot(t)
	var parts []string
	for _, p := range strings.Split(t.Name(), "/") {
		parts = append(parts, "^"+regexp.QuoteMeta(p)+"$")
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(parts, "/"), "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), nsEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("in a mount namespace: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("--- PASS: "+t.Name()+" ")) {
		t.Fatalf("the child process did not run %s:\n%s", t.Name(), out)
	}
	return false
}

// mountTmpfs mounts a fresh tmpfs on dir for the rest of the test.
func mountTmpfs(t *testing.T, dir string) {
	t.Helper()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "mode=0755"); err != nil {
		t.Fatalf("mount tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
}

// mountinfo is this process' mount table, for before/after comparisons.
func mountinfo(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mustWrite writes a file, creating its directory.
func mustWrite(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// writeErr is the error a write of a new file in dir fails with, or nil.
func writeErr(dir string) error {
	p := filepath.Join(dir, ".write-probe")
	err := os.WriteFile(p, []byte("x"), 0o644)
	if err == nil {
		os.Remove(p)
	}
	return err
}
