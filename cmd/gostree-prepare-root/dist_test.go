package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/testutil"
)

// repoRoot is the repository, seen from this package's directory.
const repoRoot = "../.."

// shellScripts are the shell files this command ships, with the shell
// that runs them.
var shellScripts = map[string]string{
	"dist/dracut/50gostree/module-setup.sh":             "bash",
	"dist/initramfs-tools/hooks/gostree":                "sh",
	"dist/initramfs-tools/scripts/local-bottom/gostree": "sh",
	"scripts/install.sh":                                "sh",
}

func TestShellSyntax(t *testing.T) {
	for p, shell := range shellScripts {
		if out, err := exec.Command(shell, "-n", filepath.Join(repoRoot, p)).CombinedOutput(); err != nil {
			t.Errorf("%s -n %s: %v\n%s", shell, p, err, out)
		}
	}
}

func TestShellcheck(t *testing.T) {
	sc := testutil.RequiresTool(t, "shellcheck")
	for p, shell := range shellScripts {
		if out, err := exec.Command(sc, "-s", shell, filepath.Join(repoRoot, p)).CombinedOutput(); err != nil {
			t.Errorf("shellcheck %s: %v\n%s", p, err, out)
		}
	}
}

// TestInstall installs into a temporary DESTDIR and checks the tree, then
// has systemd check the units against it, executables included.
func TestInstall(t *testing.T) {
	bindir := filepath.Join(t.TempDir(), "bin")
	if err := os.Mkdir(bindir, 0o755); err != nil {
		t.Fatal(err)
	}
	prepare := build(t)
	if err := os.Rename(prepare, filepath.Join(bindir, "gostree-prepare-root")); err != nil {
		t.Fatal(err)
	}
	// The installer copies whatever bin/gostree is; a script stands in.
	gostree := []byte("#!/bin/sh\necho gostree stand-in\n")
	if err := os.WriteFile(filepath.Join(bindir, "gostree"), gostree, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, withLink := range []bool{false, true} {
		dest := t.TempDir()
		args := []string{dest}
		if withLink {
			args = []string{"--ostree-link", dest}
		}
		cmd := exec.Command(filepath.Join(repoRoot, "scripts/install.sh"), args...)
		cmd.Env = append(os.Environ(), "BINDIR="+bindir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("install.sh %v: %v\n%s", args, err, out)
		}
		want := map[string]string{
			"/usr/bin/gostree":                                            "0755",
			"/usr/lib/gostree/gostree-prepare-root":                       "0755",
			"/usr/lib/gostree/gostree-remount":                            "-> gostree-prepare-root",
			"/usr/lib/systemd/system-generators/gostree-system-generator": "-> ../../gostree/gostree-prepare-root",
			"/usr/lib/dracut/modules.d/50gostree/module-setup.sh":         "0755",
			"/usr/share/initramfs-tools/hooks/gostree":                    "0755",
			"/usr/share/initramfs-tools/scripts/local-bottom/gostree":     "0755",
		}
		if withLink {
			want["/usr/bin/ostree"] = "-> gostree"
		}
		addDir := func(src, dst, mode string) {
			ents, _ := os.ReadDir(filepath.Join(repoRoot, src))
			for _, e := range ents {
				if e.IsDir() {
					subs, _ := os.ReadDir(filepath.Join(repoRoot, src, e.Name()))
					for _, s := range subs {
						want[dst+"/"+e.Name()+"/"+s.Name()] = mode
					}
					continue
				}
				want[dst+"/"+e.Name()] = mode
			}
		}
		addDir("dist/systemd", "/usr/lib/systemd/system", "0644")
		addDir("dist/grub.d", "/etc/grub.d", "0755")
		got := map[string]string{}
		err := filepath.Walk(dest, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return err
			}
			rel := strings.TrimPrefix(p, dest)
			if fi.Mode()&os.ModeSymlink != 0 {
				target, err := os.Readlink(p)
				got[rel] = "-> " + target
				return err
			}
			got[rel] = fmt.Sprintf("%04o", fi.Mode().Perm())
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for p, m := range want {
			if got[p] != m {
				t.Errorf("%s: %q, want %q", p, got[p], m)
			}
		}
		for p := range got {
			if _, ok := want[p]; !ok {
				t.Errorf("unexpected %s", p)
			}
		}
		for _, p := range []string{"/usr/lib/gostree/gostree-remount", "/usr/lib/systemd/system-generators/gostree-system-generator"} {
			b, err := os.ReadFile(dest + p)
			if err != nil || !bytes.HasPrefix(b, []byte("\x7fELF")) {
				t.Errorf("%s does not lead to the binary: %v", p, err)
			}
		}
		if b, _ := os.ReadFile(dest + "/usr/bin/gostree"); !bytes.Equal(b, gostree) {
			t.Errorf("/usr/bin/gostree is not bin/gostree")
		}
		verifyUnits(t, dest)
	}
}

// verifyUnits runs systemd-analyze verify on our units inside dest, which
// also checks that their ExecStart= programs are installed there.
func verifyUnits(t *testing.T, dest string) {
	t.Helper()
	sa := testutil.RequiresTool(t, "systemd-analyze")
	// sysroot.mount exists only in an initramfs; a stand-in satisfies
	// gostree-prepare-root.service's Requires=.
	stand := filepath.Join(dest, "etc/systemd/system/sysroot.mount")
	if err := os.MkdirAll(filepath.Dir(stand), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stand, []byte("[Mount]\nWhat=/dev/disk/by-label/root\nWhere=/sysroot\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(filepath.Join(dest, "etc/systemd"))
	for _, u := range []string{"gostree-prepare-root.service", "gostree-remount.service"} {
		out, err := exec.Command(sa, "verify", "--root="+dest, filepath.Join(dest, "usr/lib/systemd/system", u)).CombinedOutput()
		if err != nil || len(out) != 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", u, err, out)
		}
	}
}

// TestDracutModule sources the dracut module in bash with dracut's
// installer functions replaced by ones that record their arguments, and
// checks what it asks dracut to put into the image.
func TestDracutModule(t *testing.T) {
	bash := testutil.RequiresTool(t, "bash")
	initdir := t.TempDir()
	script := `set -eu
initdir=$1 systemdsystemunitdir=/usr/lib/systemd/system systemdsystemconfdir=/etc/systemd/system
require_binaries() { echo "require_binaries $*"; }
inst_binary() { echo "inst_binary $*"; }
inst_simple() { echo "inst_simple $*"; }
ln_r() { echo "ln_r $*"; }
. "$2"
check && echo "check: 0"
echo "depends: $(depends)"
install
test -d "$initdir/etc/systemd/system/initrd-root-fs.target.wants" && echo "wants dir made"
`
	cmd := exec.Command(bash, "-c", script, "bash", initdir, filepath.Join(repoRoot, "dist/dracut/50gostree/module-setup.sh"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := "require_binaries /usr/lib/gostree/gostree-prepare-root\ncheck: 0\ndepends: systemd\n" +
		"inst_binary /usr/lib/gostree/gostree-prepare-root\n"
	for _, conf := range []string{"/usr/lib/ostree/prepare-root.conf", "/etc/ostree/prepare-root.conf"} {
		if _, err := os.Stat(conf); err == nil {
			want += "inst_simple " + conf + "\n"
		}
	}
	want += "inst_simple /usr/lib/systemd/system/gostree-prepare-root.service\n" +
		"ln_r /usr/lib/systemd/system/gostree-prepare-root.service /etc/systemd/system/initrd-root-fs.target.wants/gostree-prepare-root.service\n" +
		"wants dir made\n"
	if string(out) != want {
		t.Errorf("module-setup.sh asked for\n%s\nwant\n%s", out, want)
	}
}
