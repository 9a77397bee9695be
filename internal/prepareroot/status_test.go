package prepareroot

import (
	"io"
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

// TestAdminStatusFindsBooted prepares a root with a real commit, then
// runs `ostree admin status` inside it, as on the booted system after
// switch-root: both the reference's and gostree's must mark the deployment
// as booted.
func TestAdminStatusFindsBooted(t *testing.T) {
	if !inNamespace(t) {
		return
	}
	ref := testutil.ReferenceOstree(t)
	goBin := testutil.RequiresTool(t, "go")
	f := newFixture(t)
	repo := f.sysroot + "/ostree/repo"
	if err := os.RemoveAll(repo); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	output(t, ref, "--repo="+repo, "init", "--mode=bare")
	csum := strings.TrimSpace(output(t, ref, "--repo="+repo, "commit", "-b", "os/test", "--tree=dir="+empty, "--no-xattrs"))
	f.setCommit(t, csum)

	// The deployment gets the reference ostree with its libraries, and a
	// static gostree.
	usr := f.deploy + "/usr"
	copyWithLibs(t, ref, usr+"/bin/ostree", usr)
	cmd := exec.Command(goBin, "build", "-o", usr+"/bin/gostree", "github.com/gostree/gostree/cmd/gostree")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build gostree: %v\n%s", err, out)
	}
	for _, l := range []string{"bin", "lib", "lib64"} {
		mustSymlink(t, "usr/"+l, filepath.Join(f.deploy, l))
	}

	f.markVar(t)
	if _, err := Prepare(f.options()); err != nil {
		t.Fatal(err)
	}
	// What the initramfs moves into the new root before switch_root.
	cmdline := filepath.Join(f.initrd, "cmdline")
	mustWrite(t, cmdline, f.cmdline()+"\n")
	for _, m := range []struct {
		src, dst, fstype string
		flags            uintptr
	}{
		{"proc", f.sysroot + "/proc", "proc", 0},
		{cmdline, f.sysroot + "/proc/cmdline", "", unix.MS_BIND},
		{"/dev", f.sysroot + "/dev", "", unix.MS_BIND | unix.MS_REC},
		{f.run, f.sysroot + "/run", "", unix.MS_BIND},
	} {
		if err := unix.Mount(m.src, m.dst, m.fstype, m.flags, ""); err != nil {
			t.Fatalf("mount %s on %s: %v", m.src, m.dst, err)
		}
	}
	booted := regexp.MustCompile(`(?m)^\* os ` + csum + `\.0$`)
	for _, prog := range []string{"/usr/bin/ostree", "/usr/bin/gostree"} {
		cmd := exec.Command(prog, "admin", "status")
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: f.sysroot}
		cmd.Dir = "/"
		cmd.Env = []string{"PATH=/usr/bin", "LANG=C"}
		out, err := cmd.CombinedOutput()
		if err != nil || !booted.Match(out) {
			t.Errorf("%s admin status: %v\n%s\nwant a line %q", prog, err, out, booted)
		}
		t.Logf("%s admin status:\n%s", prog, out)
	}
}

func output(t *testing.T, prog string, args ...string) string {
	t.Helper()
	out, err := exec.Command(prog, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", prog, args, err)
	}
	return string(out)
}

// copyWithLibs copies the dynamically linked program prog to dst and the
// libraries ldd lists to where the same paths lead inside usr.
func copyWithLibs(t *testing.T, prog, dst, usr string) {
	t.Helper()
	copyFile(t, prog, dst)
	out, err := exec.Command("ldd", prog).Output()
	if err != nil {
		t.Fatalf("ldd %s: %v", prog, err)
	}
	for _, f := range strings.Fields(string(out)) {
		if !strings.HasPrefix(f, "/") {
			continue
		}
		// /lib/x86_64-linux-gnu/libc.so.6 -> usr/lib/x86_64-linux-gnu/libc.so.6
		rel := strings.TrimPrefix(strings.TrimPrefix(f, "/usr"), "/")
		copyFile(t, f, filepath.Join(usr, rel))
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
