package clitest

import (
	"bytes"
	"context"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli"
)

// RunOurs runs our CLI in-process.
func RunOurs(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	return out.String(), errb.String(), code
}

// RunRef runs the reference ostree ref with args, named ostree as GLib
// sees it, and returns its stdout, stderr and exit status.
func RunRef(t *testing.T, ref string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(ref, args...)
	cmd.Args[0] = "ostree" // GLib names the program after argv[0]
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	return out.String(), errb.String(), code
}

// MustRef runs the reference and returns its trimmed stdout; a failure
// fails the test.
func MustRef(t *testing.T, ref string, args ...string) string {
	t.Helper()
	out, errs, code := RunRef(t, ref, args...)
	if code != 0 {
		t.Fatalf("reference %v: exit %d\n%s", args, code, errs)
	}
	return strings.TrimSpace(out)
}

// SortLines makes hash-ordered listings comparable.
func SortLines(s string) string {
	l := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	sort.Strings(l)
	return strings.Join(l, "\n")
}

// MustOurs runs our Main and returns its stdout; a failure fails the
// test.
func MustOurs(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	out, errs, code := RunOurs(t, env, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d\n%s", args, code, errs)
	}
	return out
}

// LastLine is the final line of a command's stderr: the error message,
// after any usage text.
func LastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}
