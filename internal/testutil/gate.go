package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// skipDisallowed reports whether a missing prerequisite must fail the test.
func skipDisallowed() bool {
	return os.Getenv("CI") != "" || os.Getenv("TEST_DISALLOW_SKIP") != ""
}

// Skip skips the test, or fails it where skipping is disallowed.
func Skip(t testing.TB, why string) {
	t.Helper()
	if skipDisallowed() {
		t.Fatalf("cannot skip in CI: %s", why)
	}
	t.Skip(why)
}

// RequiresTool returns the path of an external program, or skips.
func RequiresTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Skip(t, name+" not found: "+err.Error())
	}
	return p
}

// ReferenceOstree returns the path of the reference C ostree binary. The
// OSTREE_REFERENCE variable overrides the default /usr/bin/ostree.
func ReferenceOstree(t testing.TB) string {
	t.Helper()
	p := os.Getenv("OSTREE_REFERENCE")
	if p == "" {
		p = "/usr/bin/ostree"
	}
	if _, err := os.Stat(p); err != nil {
		Skip(t, "reference ostree not installed: "+err.Error())
	}
	return p
}

// RequiresRoot skips unless the test runs as root.
func RequiresRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Skip(t, "needs root")
	}
}

// GLibPython returns a python3 that can import GLib through gi.
func GLibPython(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "from gi.repository import GLib").Run() == nil {
			return p
		}
	}
	Skip(t, "python3 with gi (python3-gi) not found")
	return ""
}
