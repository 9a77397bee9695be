package prepareroot

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// RemountOptions say where Remount works; zero values mean the booted
// system's paths.
type RemountOptions struct {
	Root    string // the deployment root, "/"
	Sysroot string // the physical root below it, "/sysroot"
	RunDir  string // "/run"
}

func (o RemountOptions) withDefaults() RemountOptions {
	if o.Root == "" {
		o.Root = "/"
	}
	if o.Sysroot == "" {
		o.Sysroot = filepath.Join(o.Root, "sysroot")
	}
	if o.RunDir == "" {
		o.RunDir = "/run"
	}
	return o
}

// Remount runs after switch-root, before local-fs.target: it makes sure
// the booted flag exists, keeps /sysroot's mounts from propagating, and
// makes /sysroot (unless prepare-root recorded it as read-only), /etc (when
// it is a mount of its own on a read-only sysroot) and /var writable. When
// / itself is read-only, and not composefs, it leaves everything as it is.
func Remount(o RemountOptions) error {
	o = o.withDefaults()
	booted := filepath.Join(o.RunDir, BootedFile)
	data, err := readFile(booted)
	if errors.Is(err, fs.ErrNotExist) {
		err = writeFileAtomic(booted, nil, 0o640)
	}
	if err != nil {
		return err
	}
	info, err := ParseBooted(data)
	if err != nil {
		return fmt.Errorf("%s: %w", booted, err)
	}
	if mp, _ := isMountPoint(o.Sysroot); mp {
		if err := sysMount("", o.Sysroot, "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			return fmt.Errorf("make %s private: %w", o.Sysroot, err)
		}
	}
	// A read-only / is left alone, unless it is composefs, which is
	// always read-only and still wants /etc and /var writable.
	if ro, err := readOnly(o.Root); err != nil || ro && !info.Composefs {
		return err
	}
	sysrootRO := info.SysrootRO || exists(filepath.Join(o.RunDir, SysrootROStamp))
	paths := []string{filepath.Join(o.Root, "var")}
	if sysrootRO {
		paths = append(paths, filepath.Join(o.Root, "etc"))
	} else {
		paths = append(paths, o.Sysroot)
	}
	for _, p := range paths {
		if err := ensureWritable(p); err != nil {
			return err
		}
	}
	return nil
}

// ensureWritable makes the mount on p writable if p is a read-only mount
// point: first the mount alone, then, if the filesystem itself is
// read-only, the filesystem.
func ensureWritable(p string) error {
	if mp, err := isMountPoint(p); errors.Is(err, fs.ErrNotExist) || err == nil && !mp {
		return nil
	} else if err != nil {
		return err
	}
	if ro, err := readOnly(p); err != nil || !ro {
		return err
	}
	if err := remountBind(p, false); err != nil {
		return err
	}
	if ro, err := readOnly(p); err != nil || !ro {
		return err
	}
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", p, err)
	}
	if err := sysMount("", p, "", uintptr(st.Flags)&keptFlags|unix.MS_REMOUNT|unix.MS_SILENT, ""); err != nil {
		return fmt.Errorf("remount %s read-write: %w", p, err)
	}
	return nil
}
