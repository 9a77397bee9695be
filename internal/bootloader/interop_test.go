package bootloader_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/cli"
	"github.com/gostree/gostree/internal/testutil"
)

// The interop tests deploy the same commits on copies of one sysroot,
// once with the reference ostree and once with ours, and compare the
// bootloader files byte for byte.

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// baseSysroot commits three bootable trees with the reference (1.0.9 on
// testos/old, 1.0.10 on testos/runtime, and 1.0.11 on testos/dtb with a
// dtb directory and a usr/lib/ostree-boot/uEnv.txt) and returns an
// initialised sysroot with stateroot testos that has pulled them.
func baseSysroot(t *testing.T, ref string) string {
	t.Helper()
	tmp := t.TempDir()
	repo := filepath.Join(tmp, "repo")
	run(t, tmp, ref, "--repo="+repo, "init", "--mode=archive")
	tree := filepath.Join(tmp, "os")
	write(t, filepath.Join(tree, "usr/lib/modules/3.6.0/vmlinuz"), "a kernel\n")
	write(t, filepath.Join(tree, "usr/lib/modules/3.6.0/initramfs.img"), "an initramfs\n")
	write(t, filepath.Join(tree, "usr/bin/sh"), "an executable\n")
	write(t, filepath.Join(tree, "usr/etc/os-release"), "NAME=TestOS\nVERSION=42\nID=testos\nVERSION_ID=42\nPRETTY_NAME=\"TestOS 42\"\n")
	commit := func(branch, version, date string) {
		run(t, tmp, ref, "--repo="+repo, "commit", "--bootable", "--add-metadata-string=version="+version,
			"-b", "testos/"+branch, "-s", "Build", "--timestamp="+date, "--tree=dir="+tree)
	}
	commit("old", "1.0.9", "2020-01-01")
	write(t, filepath.Join(tree, "usr/bin/sh"), "a new executable\n")
	commit("runtime", "1.0.10", "2020-01-02")
	write(t, filepath.Join(tree, "usr/lib/modules/3.6.0/vmlinuz"), "a dtb kernel\n")
	write(t, filepath.Join(tree, "usr/lib/modules/3.6.0/dtb/board.dtb"), "a device tree\n")
	write(t, filepath.Join(tree, "usr/lib/ostree-boot/uEnv.txt"), "loaduimage=load mmc ${bootpart} ${loadaddr} ${kernel_image}\n")
	commit("dtb", "1.0.11", "2020-01-03")
	root := filepath.Join(tmp, "sysroot")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, tmp, ref, "admin", "init-fs", root)
	run(t, tmp, ref, "admin", "os-init", "--sysroot="+root, "testos")
	run(t, tmp, ref, "--repo="+filepath.Join(root, "ostree/repo"), "pull-local", "--remote=testos", repo, "testos/old", "testos/runtime", "testos/dtb")
	return root
}

// generator is an OSTREE_GRUB2_EXEC stand-in whose output shows what it
// was given: the variables libostree sets and the entries it can see.
const generator = `#!/bin/sh
set -e
out=$2
printf 'bootversion=%s efi=%s\n' "$_OSTREE_GRUB2_BOOTVERSION" "${_OSTREE_GRUB2_IS_EFI-unset}" > "$out"
cat "$(dirname "$out")"/entries/*.conf >> "$out"
`

func TestBackendsMatchReference(t *testing.T) {
	testutil.RequiresRoot(t)
	ref := testutil.ReferenceOstree(t)
	t.Setenv("OSTREE_SYSROOT_DEBUG", "mutable-deployments")
	// The reference (2022.7) names entries ostree-N-STATEROOT.conf; so
	// does gostree under libostree's switch for the pre-2024.5 naming.
	t.Setenv("OSTREE_SYSROOT_OPTS", "bootloader-naming-1")
	t.Setenv("GOSTREE_LIBOSTREE_COMPAT", "2022.7") // and its entries lack aboot keys
	base := baseSysroot(t, ref)
	gen := filepath.Join(t.TempDir(), "generator")
	write(t, gen, generator)
	if err := os.Chmod(gen, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, root string)
		files []string // compared after each deploy, relative to boot/loader
	}{
		{name: "syslinux", files: []string{"syslinux.cfg"}, setup: func(t *testing.T, root string) {
			write(t, filepath.Join(root, "boot/loader.0/syslinux.cfg"),
				"PROMPT 1\nDEFAULT Fedora\n\nLABEL Fedora\n\tKERNEL /vmlinuz-fedora\n\tAPPEND root=/dev/sda1\n\n\nTIMEOUT 50\n")
			symlink(t, "loader.0", filepath.Join(root, "boot/loader"))
			symlink(t, "../loader/syslinux.cfg", filepath.Join(root, "boot/syslinux/syslinux.cfg"))
		}},
		{name: "uboot", files: []string{"uEnv.txt"}, setup: func(t *testing.T, root string) {
			write(t, filepath.Join(root, "boot/loader.0/uEnv.txt"), "")
			symlink(t, "loader.0", filepath.Join(root, "boot/loader"))
			symlink(t, "loader/uEnv.txt", filepath.Join(root, "boot/uEnv.txt"))
		}},
		{name: "grub2", files: []string{"grub.cfg"}, setup: func(t *testing.T, root string) {
			symlink(t, "../loader/grub.cfg", filepath.Join(root, "boot/grub2/grub.cfg"))
			t.Setenv("OSTREE_GRUB2_EXEC", gen)
		}},
		{name: "none", setup: func(t *testing.T, root string) {
			run(t, "/", ref, "--repo="+filepath.Join(root, "ostree/repo"), "config", "set", "sysroot.bootloader", "none")
			write(t, filepath.Join(root, "boot/grub2/grub.cfg"), "")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refRoot, ourRoot := copyTree(t, base), copyTree(t, base)
			tc.setup(t, refRoot)
			tc.setup(t, ourRoot)
			for i, args := range [][]string{
				{"--os=testos", "--karg=root=LABEL=MOO", "--karg=quiet", "testos:testos/runtime"},
				{"--os=testos", "testos/old"},
				{"--os=testos", "--karg-append=console=ttyS0", "testos/dtb"},
			} {
				deploy := append([]string{"admin", "deploy"}, args...)
				refOut := run(t, "/", ref, append(deploy, "--sysroot="+refRoot)...)
				ourOut := ours(t, append(deploy, "--sysroot="+ourRoot)...)
				if last := func(s string) string { l := strings.Split(strings.TrimSpace(s), "\n"); return l[len(l)-1] }; last(refOut) != last(ourOut) {
					t.Errorf("deploy %d says %q, the reference %q", i, last(ourOut), last(refOut))
				}
				for _, f := range append(tc.files, "entries/ostree-1-testos.conf") {
					want := readLoaderFile(t, refRoot, f)
					if want == "" {
						t.Fatalf("deploy %d: the reference wrote no boot/loader/%s", i, f)
					}
					if diff := cmp.Diff(want, readLoaderFile(t, ourRoot, f)); diff != "" {
						t.Errorf("deploy %d: boot/loader/%s (-reference +ours):\n%s", i, f, diff)
					}
				}
			}
		})
	}
	// grub2-generate on a sysroot the reference deployed to.
	t.Run("grub2-generate", func(t *testing.T) {
		root := copyTree(t, base)
		run(t, "/", ref, "admin", "deploy", "--sysroot="+root, "--os=testos", "--karg=quiet", "testos:testos/runtime")
		run(t, "/", ref, "admin", "deploy", "--sysroot="+root, "--os=testos", "testos/dtb")
		t.Setenv("GRUB2_BOOT_DEVICE_ID", "it's")
		t.Setenv("GRUB2_PREPARE_ROOT_CACHE", "search --no-floppy --fs-uuid --set=root 1234")
		for _, args := range [][]string{{}, {"1"}, {"0"}, {"7"}} {
			t.Run(strings.Join(append([]string{"args"}, args...), "-"), func(t *testing.T) {
				cmd := append([]string{"admin", "instutil", "grub2-generate", "--sysroot=" + root}, args...)
				c := exec.Command(ref, cmd...)
				var stdout, stderr bytes.Buffer
				c.Stdout, c.Stderr = &stdout, &stderr
				refErr := c.Run()
				var ourOut, ourErr bytes.Buffer
				code := cli.Main(context.Background(), cmd, nil, &ourOut, &ourErr, os.Getenv)
				if (refErr == nil) != (code == 0) || stderr.String() != ourErr.String() {
					t.Errorf("exit %d %q, the reference %v %q", code, ourErr.String(), refErr, stderr.String())
				}
				if diff := cmp.Diff(stdout.String(), ourOut.String()); diff != "" {
					t.Errorf("menu (-reference +ours):\n%s", diff)
				}
			})
		}
	})
}

func ours(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := cli.Main(context.Background(), args, nil, &stdout, &stderr, os.Getenv); code != 0 {
		t.Fatalf("gostree %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func symlink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// copyTree copies a sysroot keeping hard links, modes and xattrs.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "sysroot")
	run(t, "/", "cp", "-a", src, dst)
	return dst
}

func readLoaderFile(t *testing.T, root, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "boot/loader", rel))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}
