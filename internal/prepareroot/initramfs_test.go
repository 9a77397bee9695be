package prepareroot

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/testutil"
)

// TestInitramfsToolsScript runs dist/initramfs-tools/scripts/local-bottom/gostree
// with busybox sh in a chroot laid out like an initramfs-tools image:
// the static binary where the hook copies it, the root mounted at
// ${rootmnt}, /proc with the fixture's command line. initramfs-tools' own
// /scripts/functions is replaced by a panic that prints and exits.
func TestInitramfsToolsScript(t *testing.T) {
	tests := []struct {
		name     string
		cmdline  string // "" means the fixture's
		dangling bool   // a dangling bootlink
		wantCode int
		wantOut  string
	}{
		{name: "ostree_boot"},
		{name: "not_ostree", cmdline: "root=/dev/vda ro quiet"},
		{name: "broken", dangling: true, wantCode: 1,
			wantOut: "gostree-prepare-root: ostree=" + testTarget + ": /sysroot" + testTarget + " is a dangling symbolic link\n" +
				"PANIC: gostree-prepare-root could not set up the deployment in /sysroot\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !inNamespace(t) {
				return
			}
			busybox := testutil.RequiresTool(t, "busybox")
			f := newFixture(t)
			if tc.dangling {
				link := f.sysroot + "/ostree/boot.1.0/os/" + testBootCsum + "/0"
				if err := os.Remove(link); err != nil {
					t.Fatal(err)
				}
				mustSymlink(t, "../../../deploy/os/deploy/missing.0", link)
			}
			initramfsRoot(t, f, busybox, tc.cmdline)
			before := mountinfo(t)

			cmd := exec.Command("/bin/sh", "/scripts/local-bottom/gostree")
			cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: f.base}
			cmd.Dir = "/"
			cmd.Env = []string{"PATH=/bin", "rootmnt=/sysroot"}
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d:\n%s", code, tc.wantCode, out)
			}
			if tc.wantOut != "" && string(out) != tc.wantOut {
				t.Errorf("output\n got %q\nwant %q", out, tc.wantOut)
			}
			flagExists := exists(filepath.Join(f.run, MountVarFlag))
			switch {
			case tc.cmdline != "":
				if flagExists || mountinfo(t) != before {
					t.Errorf("acted on a boot without ostree=: flag %v, mounts changed %v", flagExists, mountinfo(t) != before)
				}
			case tc.dangling:
				if mountinfo(t) != before {
					t.Error("mounts changed")
				}
			default:
				if !flagExists {
					t.Errorf("%s not created", MountVarFlag)
				}
				checkRoot(t, f, false)
				if _, err := os.Stat(f.sysroot + "/var/stateroot-var-marker"); err != nil {
					t.Errorf("/var not bound by prepare-root: %v", err)
				}
			}
		})
	}
}

// initramfsRoot turns f.base into a small initramfs-tools-like root.
func initramfsRoot(t *testing.T, f *fixture, busybox, cmdline string) {
	t.Helper()
	goBin := testutil.RequiresTool(t, "go")
	root := f.base
	copyFile(t, busybox, root+"/bin/busybox")
	for _, applet := range []string{"sh", "mkdir", "cat"} {
		mustSymlink(t, "busybox", root+"/bin/"+applet)
	}
	script, err := os.ReadFile("../../dist/initramfs-tools/scripts/local-bottom/gostree")
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, root+"/scripts/local-bottom/gostree", string(script))
	mustWrite(t, root+"/scripts/functions", "panic() { echo \"PANIC: $*\"; exit 1; }\n")
	bin := root + "/usr/lib/gostree/gostree-prepare-root"
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/gostree/gostree/cmd/gostree-prepare-root")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if cmdline == "" {
		cmdline = f.cmdline()
	}
	mustWrite(t, f.initrd+"/cmdline", cmdline+"\n")
	if err := os.Mkdir(root+"/proc", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("proc", root+"/proc", "proc", 0, ""); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(f.initrd+"/cmdline", root+"/proc/cmdline", "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
}
