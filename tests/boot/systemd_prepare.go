package boot

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// SystemdKargs boot the systemd guest: systemd is /sbin/init, so no init=.
var SystemdKargs = []string{"root=/dev/vda", "rw", "console=ttyS0", "panic=5", "quiet"}

// PrepareSystemdTree unpacks the cached systemd tree into dir and makes it
// an OSTree-ready tree: gostree and its units installed (scripts/install.sh),
// gostree-health.service enabled, the boot test unit, slow units masked, the
// kernel and initramfs under usr/lib/modules/KVER, and /etc moved to /usr/etc.
func PrepareSystemdTree(ctx context.Context, tarball, dir string, in TreeInputs) error {
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("systemd tree %s: already exists", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if _, err := run(ctx, "", "tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-xpf", tarball, "-C", dir); err != nil {
		return fmt.Errorf("systemd tree %s: %w", dir, err)
	}
	if err := installGostree(ctx, dir, in.Gostree); err != nil {
		return err
	}
	if err := enableUnit(dir, "gostree-health.service"); err != nil {
		return err
	}
	if err := maskUnits(dir, systemdMasked); err != nil {
		return err
	}
	if err := installBoottest(ctx, dir); err != nil {
		return err
	}
	kdir := filepath.Join(dir, "usr/lib/modules", in.Kernel.Version)
	for dst, src := range map[string]string{"vmlinuz": in.Kernel.Vmlinuz, "initramfs.img": in.Initramfs} {
		if err := copyFile(src, filepath.Join(kdir, dst)); err != nil {
			return fmt.Errorf("systemd tree %s: %w", dst, err)
		}
	}
	files := []File{
		{Path: "etc/hostname", Data: "gostree-guest\n"},
		{Path: "sysroot/"},
		{Path: "ostree", Link: "sysroot/ostree"},
	}
	if err := WriteFiles(dir, files); err != nil {
		return err
	}
	// OSTree keeps the default /etc in /usr/etc; deploy merges it.
	if err := os.Rename(filepath.Join(dir, "etc"), filepath.Join(dir, "usr/etc")); err != nil {
		return fmt.Errorf("systemd tree %s: move etc to usr/etc: %w", dir, err)
	}
	return nil
}

// installGostree installs gostree, prepare-root (from the directory of the
// static gostree binary), their units and the generator into root with
// scripts/install.sh, as a distribution's packaging would.
func installGostree(ctx context.Context, root, gostree string) error {
	mod, err := ModuleRoot(ctx)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(mod, "scripts", "install.sh"), root)
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "BINDIR="+filepath.Dir(gostree))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/install.sh %s: %w: %s", root, err, tail(string(out), 10))
	}
	for _, p := range []string{"usr/bin/gostree", "usr/lib/gostree/gostree-prepare-root",
		"usr/lib/systemd/system-generators/gostree-system-generator", "usr/lib/systemd/system/gostree-remount.service"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			return fmt.Errorf("scripts/install.sh %s: %w", root, err)
		}
	}
	return nil
}
