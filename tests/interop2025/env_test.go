package interop2025

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gostree/gostree/internal/testutil"
)

// suite is the Debian 13 root with libostree 2025.2 and our static
// binary copied into it, so that both run under the same root on the
// same paths.
type suite struct {
	root string // on the host
	dir  string // our private directory, as seen inside the root
}

var (
	suiteOnce sync.Once
	theSuite  *suite
	suiteErr  string
)

// setupScript is the conformance tooling's root builder: beside the
// checkout, as tests/conformance/run-2025.sh finds its runner, unless
// GOSTREE_SETUP_SUITE_2025 names it.
func setupScript() string {
	if p := os.Getenv("GOSTREE_SETUP_SUITE_2025"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "../../../shared/conformance/setup-suite-2025")
}

// getSuite builds the root (idempotent) and our binary, once per run.
func getSuite(t *testing.T) *suite {
	t.Helper()
	testutil.RequiresRoot(t)
	suiteOnce.Do(func() {
		out, err := exec.Command(setupScript()).Output()
		if err != nil {
			suiteErr = "setup-suite-2025: " + err.Error()
			return
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		root := lines[len(lines)-1]
		b := make([]byte, 6)
		rand.Read(b)
		dir := "/var/tmp/gostree-interop-" + hex.EncodeToString(b)
		if err := os.MkdirAll(filepath.Join(root, dir, "work"), 0o755); err != nil {
			suiteErr = err.Error()
			return
		}
		_, file, _, _ := runtime.Caller(0)
		build := exec.Command("go", "build", "-o", filepath.Join(root, dir, "gostree"), "./cmd/gostree")
		build.Dir = filepath.Join(filepath.Dir(file), "../..")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			suiteErr = "building gostree: " + err.Error() + "\n" + string(out)
			return
		}
		if err := os.Symlink("gostree", filepath.Join(root, dir, "ostree")); err != nil {
			suiteErr = err.Error()
			return
		}
		theSuite = &suite{root: root, dir: dir}
	})
	if theSuite == nil {
		testutil.Skip(t, "libostree 2025.2 root unavailable: "+suiteErr)
	}
	return theSuite
}

func TestMain(m *testing.M) {
	code := m.Run()
	if theSuite != nil {
		os.RemoveAll(filepath.Join(theSuite.root, theSuite.dir))
	}
	os.Exit(code)
}

// result is one command's outcome.
type result struct {
	out, err string
	code     int
}

func (r result) String() string {
	return "exit " + strconv.Itoa(r.code) + "\nstdout:\n" + r.out + "stderr:\n" + r.err
}

// Programs: the reference, and ours under its two names.
const (
	ref     = "reference"
	ours    = "ostree"
	gostree = "gostree"
)

// run runs prog inside the root, in a private mount namespace with
// /proc, a clean environment (C.UTF-8, as GLib's help depends on the
// locale) plus env, from the directory cwd inside the root.
func (s *suite) run(t *testing.T, env []string, cwd, prog string, args ...string) result {
	t.Helper()
	// The reference names itself by argv[0], so it runs from PATH;
	// ours looks only at the base name.
	if prog == ref {
		prog = "ostree"
	} else {
		prog = filepath.Join(s.dir, prog)
	}
	if cwd == "" {
		cwd = "/"
	}
	script := `mount -t proc proc "$ROOT_/proc" && mount --rbind /dev "$ROOT_/dev" && exec chroot "$ROOT_" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"`
	argv := append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh"}, env...)
	argv = append(argv, "sh", "-c", `cd "$0" && exec "$@"`, cwd, prog)
	argv = append(argv, args...)
	cmd := exec.Command("unshare", argv...)
	cmd.Env = append(os.Environ(), "ROOT_="+s.root)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	code := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running %s %v: %v", prog, args, err)
		}
		code = ee.ExitCode()
	}
	return result{o.String(), e.String(), code}
}

// tempDir makes a fresh directory inside the root, with an empty
// sysroot/ in it, and returns its path as seen from inside.
func (s *suite) tempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp(filepath.Join(s.root, s.dir, "work"), "t")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	// admin init-fs wants its directory to exist.
	if err := os.Mkdir(filepath.Join(d, "sysroot"), 0o755); err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(d, s.root)
}

// host is the host path of an in-root path.
func (s *suite) host(p string) string { return filepath.Join(s.root, p) }

// must runs a command that has to succeed.
func (s *suite) must(t *testing.T, env []string, prog string, args ...string) string {
	t.Helper()
	r := s.run(t, env, "", prog, args...)
	if r.code != 0 {
		t.Fatalf("%s %s:\n%s", prog, strings.Join(args, " "), r)
	}
	return r.out
}
