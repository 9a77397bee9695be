package prepareroot

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gostree/gostree/internal/fsx"
)

// RemountUnit is the unit that runs Remount after switch-root.
const RemountUnit = "gostree-remount.service"

// GeneratorOptions say where Generate looks; zero values mean the booted
// system's paths.
type GeneratorOptions struct {
	Cmdline string // the kernel command line itself
	RunDir  string // "/run"
	Sysroot string // the physical root, "/sysroot"
	Fstab   string // "/etc/fstab"
	UnitDir string // where RemountUnit is installed, "/usr/lib/systemd/system"
}

func (o GeneratorOptions) withDefaults() GeneratorOptions {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.RunDir, "/run")
	def(&o.Sysroot, "/sysroot")
	def(&o.Fstab, "/etc/fstab")
	def(&o.UnitDir, "/usr/lib/systemd/system")
	return o
}

// Generate is the systemd generator for a system booted with ostree=: it
// writes into dir (the generator's "normal" directory) a var.mount that
// pulls in RemountUnit and binds the stateroot's /var, unless /etc/fstab
// mounts /var or the initramfs left MountVarFlag (it bound /var itself).
// Without ostree= it does nothing.
func Generate(o GeneratorOptions, dir string) error {
	o = o.withDefaults()
	target, ok := ostreeTarget(o.Cmdline)
	if !ok {
		return nil
	}
	wants := filepath.Join(dir, "local-fs.target.requires")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		return err
	}
	if err := symlinkAtomic(filepath.Join(o.UnitDir, RemountUnit), filepath.Join(wants, RemountUnit)); err != nil {
		return err
	}
	// The initramfs bound /var itself. libostree deletes the flag here, but
	// generators run again on every daemon-reload and must then give the
	// same answer, so it stays.
	if _, err := os.Lstat(filepath.Join(o.RunDir, MountVarFlag)); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if mounted, err := fstabMounts(o.Fstab, "/var"); err != nil || mounted {
		return err
	}
	d, err := ResolveDeployment(o.Sysroot, target)
	if err != nil {
		return fmt.Errorf("ostree=%s: %w", target, err)
	}
	unit := varMountUnit(filepath.Join("/sysroot", d.VarRel()))
	if err := fsx.WriteFileAtomic(filepath.Join(dir, "var.mount"), unit, 0o644, false); err != nil {
		return err
	}
	return symlinkAtomic("../var.mount", filepath.Join(wants, "var.mount"))
}

// varMountUnit binds what onto /var early, before local-fs.target, so
// that everything that writes to /var sees the stateroot's. what is always
// below /sysroot as the booted system sees it.
func varMountUnit(what string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Written by gostree-system-generator: the booted deployment's /var is its stateroot's.\n")
	fmt.Fprintf(&b, "[Unit]\nDescription=Stateroot /var of the booted deployment\n")
	fmt.Fprintf(&b, "ConditionKernelCommandLine=!systemd.volatile\n")
	fmt.Fprintf(&b, "DefaultDependencies=no\nAfter=local-fs-pre.target sysroot.mount\n")
	fmt.Fprintf(&b, "Before=local-fs.target umount.target\nConflicts=umount.target\n\n")
	fmt.Fprintf(&b, "[Mount]\nWhat=%s\nWhere=/var\nOptions=bind\n", what)
	return b.Bytes()
}

// fstabMounts reports whether the fstab at path has an entry for mount
// point where. A missing fstab has none.
func fstabMounts(path, where string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if filepath.Clean(fields[1]) == where {
			return true, nil
		}
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	return false, nil
}

// symlinkAtomic points link at target, replacing whatever link was there.
func symlinkAtomic(target, link string) error {
	tmp := link + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, link); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}
