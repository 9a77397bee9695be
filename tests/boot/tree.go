package boot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// TestInitPath is the guest's PID 1 in the small-init trees (the init= karg).
const TestInitPath = "/usr/lib/gostree-test/init"

// TestInit is the default PID 1 of the small-init guests. It prints the
// markers the scenarios check, runs the /var application, the health checks
// and the boot's action from the updates disk, finalizes a staged
// deployment, and powers off.
const TestInit = `#!/bin/sh
export PATH=/usr/bin:/usr/sbin
mount -t tmpfs tmp /tmp
probe() { if touch "$1/.rw-probe" 2>/dev/null; then rm -f "$1/.rw-probe"; echo rw; else echo ro; fi; }
OSTREE=; for a in $(cat /proc/cmdline); do case $a in ostree=*) OSTREE=${a#ostree=};; esac; done
DEPLOY=$(readlink -f "/sysroot$OSTREE")
. /etc/os-release
echo "BOOTED deployment=${DEPLOY##*/} version=$VERSION pid=$$ usr=$(probe /usr) etc=$(probe /etc) var=$(probe /var) run-booted=$([ -e /run/ostree-booted ] && echo yes || echo no) uptime=$(cut -d' ' -f1 /proc/uptime)"
echo STATUS-BEGIN; gostree admin status; echo "STATUS-END rc=$?"
mkdir -p /run/updates; mount -t ext4 /dev/vdb /run/updates || echo "INIT-WARN: no updates disk"
if [ -x /var/lib/app/run.sh ]; then /var/lib/app/run.sh; fi
echo HEALTH-BEGIN; gostree health run; echo "HEALTH-END rc=$?"
if [ -f /run/updates/actions.sh ]; then . /run/updates/actions.sh; fi
if [ -e /run/ostree/staged-deployment ]; then echo FINALIZE-START; gostree admin finalize-staged; echo "FINALIZE-END rc=$?"; fi
umount /run/updates; sync; echo POWEROFF; poweroff -f
`

// File is a file, directory (Path ending in "/") or symlink (Link set) added
// to a guest tree.
type File struct {
	Path string // relative to the tree root, e.g. usr/lib/greenboot/check/required.d/10-ok.sh
	Data string
	Mode os.FileMode // 0644 when zero
	Link string
}

// OSVersion is one version of the tiny busybox guest OS.
type OSVersion struct {
	Version string // os-release VERSION, e.g. "v1"
	Init    string // content of TestInitPath; TestInit when empty
	Files   []File // extra files: greenboot.conf, checks, red.d scripts, ...
}

// TreeInputs are the host files every guest tree holds.
type TreeInputs struct {
	Kernel    *Kernel
	Gostree   string // static gostree binary
	Initramfs string // from BuildInitramfs
}

// BuildTree writes the tree of version v into dir (which must not exist):
// busybox with applet links, gostree (also as ostree), /usr/etc, the kernel
// and initramfs under usr/lib/modules/KVER, and the test init.
func BuildTree(ctx context.Context, dir string, in TreeInputs, v OSVersion) error {
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("guest tree %s: already exists", dir)
	}
	for _, d := range []string{"usr/bin", "usr/sbin", "usr/lib/gostree-test", "usr/etc", "dev", "proc", "sys", "run", "tmp", "var", "sysroot", "boot", "root", "mnt"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	for l, target := range map[string]string{"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "ostree": "sysroot/ostree"} {
		if err := os.Symlink(target, filepath.Join(dir, l)); err != nil {
			return err
		}
	}
	kdir := "usr/lib/modules/" + in.Kernel.Version
	for dst, src := range map[string]string{"usr/bin/busybox": "/bin/busybox", "usr/bin/gostree": in.Gostree, kdir + "/vmlinuz": in.Kernel.Vmlinuz, kdir + "/initramfs.img": in.Initramfs} {
		if err := copyFile(src, filepath.Join(dir, dst)); err != nil {
			return fmt.Errorf("guest tree %s: %w", dst, err)
		}
	}
	if err := linkApplets(ctx, dir); err != nil {
		return err
	}
	init := v.Init
	if init == "" {
		init = TestInit
	}
	files := []File{
		{Path: "usr/bin/ostree", Link: "gostree"},
		{Path: strings.TrimPrefix(TestInitPath, "/"), Data: init, Mode: 0o755},
		{Path: "usr/etc/passwd", Data: "root:x:0:0:root:/root:/bin/sh\n"},
		{Path: "usr/etc/group", Data: "root:x:0:\n"},
		{Path: "usr/etc/os-release", Data: fmt.Sprintf("NAME=gostree-test\nID=gostree-test\nVERSION=%s\nPRETTY_NAME=\"gostree test %s\"\n", v.Version, v.Version)},
	}
	return WriteFiles(dir, append(files, v.Files...))
}

// WriteFiles writes files under root.
func WriteFiles(root string, files []File) error {
	for _, f := range files {
		p := filepath.Join(root, f.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		var err error
		switch {
		case f.Link != "":
			os.Remove(p)
			err = os.Symlink(f.Link, p)
		case strings.HasSuffix(f.Path, "/"):
			err = os.MkdirAll(p, 0o755)
		default:
			mode := f.Mode
			if mode == 0 {
				mode = 0o644
			}
			if err = os.WriteFile(p, []byte(f.Data), mode); err == nil {
				err = os.Chmod(p, mode)
			}
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}

// linkApplets links every busybox applet under usr/bin or usr/sbin.
func linkApplets(ctx context.Context, dir string) error {
	out, err := run(ctx, "", "/bin/busybox", "--list-full")
	if err != nil {
		return err
	}
	for _, a := range strings.Fields(out) {
		sub := "usr/bin"
		if strings.HasPrefix(a, "sbin/") || strings.HasPrefix(a, "usr/sbin/") {
			sub = "usr/sbin"
		}
		p := filepath.Join(dir, sub, filepath.Base(a))
		if _, err := os.Lstat(p); err == nil {
			continue
		}
		if err := os.Symlink("/usr/bin/busybox", p); err != nil {
			return err
		}
	}
	return nil
}
