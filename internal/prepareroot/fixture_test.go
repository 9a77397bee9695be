package prepareroot

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	testCsum     = "8b5e4b7e1d5f0a2f0c2d7e6a4b1e9f3c7d2a6b5e4f3c2d1e0f9a8b7c6d5e4f3a"
	testBootCsum = "1f2e3d4c5b6a79880716253443526170f1e2d3c4b5a69788796a5b4c3d2e1f0a"
	testTarget   = "/ostree/boot.1/os/" + testBootCsum + "/0"
)

// fixture is a physical root laid out as libostree deploys it: one
// deployment of stateroot "os", its bootlinks and BLS entry, on a tmpfs of
// its own, next to a run directory and an initramfs root for the config.
type fixture struct {
	base    string // a tmpfs holding everything below
	sysroot string // the physical root, a tmpfs mounted at base/sysroot
	run     string // stands in for /run
	initrd  string // stands in for the initramfs' /
	deploy  string // the deployment directory
}

// newFixture builds the fixture on tmpfs mounts (the caller runs in its own
// mount namespace).
func newFixture(t *testing.T) *fixture {
	t.Helper()
	return buildFixture(t, true)
}

// buildFixture lays out the fixture in a temporary directory, on tmpfs
// mounts when mount is set.
func buildFixture(t *testing.T, mount bool) *fixture {
	t.Helper()
	if !mount {
		return buildFixtureOn(t, nil)
	}
	return buildFixtureOn(t, mountTmpfs)
}

// buildFixtureOn lays out the fixture; when mountSysroot is set, on a
// tmpfs with the physical root a mount of its own made by mountSysroot.
func buildFixtureOn(t *testing.T, mountSysroot func(*testing.T, string)) *fixture {
	t.Helper()
	base := t.TempDir()
	if mountSysroot != nil {
		mountTmpfs(t, base)
	}
	f := &fixture{base: base, sysroot: base + "/sysroot", run: base + "/run", initrd: base + "/initrd"}
	for _, d := range []string{f.sysroot, f.run, f.initrd} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if mountSysroot != nil {
		mountSysroot(t, f.sysroot)
	}
	f.deploy = f.sysroot + "/ostree/deploy/os/deploy/" + testCsum + ".0"
	for _, d := range []string{"usr/bin", "usr/etc", "etc", "var", "sysroot", "boot", "proc", "dev", "run", "tmp"} {
		if err := os.MkdirAll(filepath.Join(f.deploy, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, f.deploy+"/deployment-marker", testCsum)
	mustWrite(t, f.deploy+"/usr/etc/from-usr-etc", "default")
	mustWrite(t, f.deploy+"/etc/from-etc", "merged")
	mustSymlink(t, "sysroot/ostree", f.deploy+"/ostree")
	mustWrite(t, f.sysroot+"/ostree/deploy/os/var/stateroot-var-marker", "os")
	mustSymlink(t, "boot.1.0", f.sysroot+"/ostree/boot.1")
	mustSymlink(t, "../../../deploy/os/deploy/"+testCsum+".0", f.sysroot+"/ostree/boot.1.0/os/"+testBootCsum+"/0")
	if err := os.MkdirAll(f.sysroot+"/ostree/repo/objects", 0o755); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, "loader.1", f.sysroot+"/boot/loader")
	mustWrite(t, f.sysroot+"/boot/loader.1/entries/ostree-1-os.conf", fmt.Sprintf(
		"title os\nversion 1\nlinux /ostree/os-%[1]s/vmlinuz\ninitrd /ostree/os-%[1]s/initramfs.img\noptions root=LABEL=root rw ostree=%[2]s\n",
		testBootCsum, testTarget))
	return f
}

// cmdline is a kernel command line that boots the fixture's deployment.
func (f *fixture) cmdline() string { return "root=LABEL=root rw ostree=" + testTarget + " quiet" }

func (f *fixture) options() Options {
	return Options{Sysroot: f.sysroot, Cmdline: f.cmdline(), Root: f.initrd, RunDir: f.run}
}

// conf writes an initramfs prepare-root.conf; rel is one of ConfigFiles.
func (f *fixture) conf(t *testing.T, rel string, lines ...string) {
	t.Helper()
	mustWrite(t, filepath.Join(f.initrd, rel), strings.Join(lines, "\n")+"\n")
}

// markVar asks prepare-root to bind /var, as a non-systemd initramfs does.
func (f *fixture) markVar(t *testing.T) {
	t.Helper()
	mustWrite(t, filepath.Join(f.run, MountVarFlag), "")
}

// setCommit renames the deployment to csum, a commit that exists in the
// fixture's repo, and points the bootlink at it.
func (f *fixture) setCommit(t *testing.T, csum string) {
	t.Helper()
	to := filepath.Join(filepath.Dir(f.deploy), csum+".0")
	if err := os.Rename(f.deploy, to); err != nil {
		t.Fatal(err)
	}
	f.deploy = to
	link := f.sysroot + "/ostree/boot.1.0/os/" + testBootCsum + "/0"
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, "../../../deploy/os/deploy/"+csum+".0", link)
}
