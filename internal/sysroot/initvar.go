package sysroot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/fsx"
)

// populateVar fills an empty stateroot var from a new deployment's /var
// (libostree's "initial-var", 2024.3 on), so that a commit's /var works
// like a container volume: it seeds the shared var once and is ignored
// afterwards. A tree without usr/lib/tmpfiles.d also gets the legacy
// skeleton (tmp, lib, log, run, lock) that nothing else would create.
// It reports whether it copied anything; a var with any entry at all,
// or a deployment without /var, is left alone.
func populateVar(deployRoot, varDir string) (bool, error) {
	src := filepath.Join(deployRoot, "var")
	if fi, err := os.Lstat(src); err != nil || !fi.IsDir() {
		return false, nil
	}
	ents, err := readDirUnsorted(varDir)
	if err != nil || len(ents) > 0 {
		return false, nil
	}
	// Copy into a staging directory first, so a failure leaves var empty
	// and the next deploy tries again.
	stage, err := os.MkdirTemp(varDir, ".initial-var-")
	if err != nil {
		return false, fmt.Errorf("populating %s: %w", varDir, err)
	}
	defer os.RemoveAll(stage)
	kids, err := readDirUnsorted(src)
	if err != nil {
		return false, fmt.Errorf("populating var: %w", err)
	}
	for _, k := range kids {
		if err := copyEntry(filepath.Join(src, k.Name()), filepath.Join(stage, k.Name())); err != nil {
			return false, fmt.Errorf("populating var: %w", err)
		}
	}
	if _, err := os.Lstat(filepath.Join(deployRoot, "usr/lib/tmpfiles.d")); errors.Is(err, fs.ErrNotExist) {
		if err := legacyVarSkeleton(stage); err != nil {
			return false, fmt.Errorf("populating var: %w", err)
		}
	}
	moved, err := readDirUnsorted(stage)
	if err != nil {
		return false, err
	}
	for _, m := range moved {
		if err := os.Rename(filepath.Join(stage, m.Name()), filepath.Join(varDir, m.Name())); err != nil {
			return false, fmt.Errorf("populating var: %w", err)
		}
	}
	return true, fsx.SyncDir(varDir)
}

// legacyVarSkeleton creates what older releases put in every new
// stateroot var, keeping whatever the commit already has.
func legacyVarSkeleton(dir string) error {
	for _, d := range []struct {
		name string
		mode uint32
	}{{"tmp", 0o1777}, {"lib", 0o755}, {"log", 0o755}} {
		p := filepath.Join(dir, d.name)
		if err := unix.Mkdir(p, d.mode&0o777); errors.Is(err, unix.EEXIST) {
			continue
		} else if err != nil {
			return fmt.Errorf("creating %s: %w", d.name, err)
		}
		if err := unix.Chmod(p, d.mode); err != nil {
			return err
		}
	}
	for name, target := range map[string]string{"run": "../run", "lock": "../run/lock"} {
		if err := unix.Symlink(target, filepath.Join(dir, name)); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("creating %s: %w", name, err)
		}
	}
	return nil
}

// copyEntry copies a checked-out file, symlink or directory with its
// mode, owner and extended attributes; anything else is refused.
func copyEntry(src, dst string) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	st := fi.Sys().(*syscall.Stat_t)
	switch {
	case fi.Mode().IsDir():
		if err := unix.Mkdir(dst, 0o700); err != nil {
			return fmt.Errorf("creating %s: %w", dst, err)
		}
		kids, err := readDirUnsorted(src)
		if err != nil {
			return err
		}
		for _, k := range kids {
			if err := copyEntry(filepath.Join(src, k.Name()), filepath.Join(dst, k.Name())); err != nil {
				return err
			}
		}
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(target, dst); err != nil {
			return err
		}
	case fi.Mode().IsRegular():
		if err := copyRegular(src, dst); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%s: not a regular file, symlink or directory", src)
	}
	if err := unix.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("chown %s: %w", dst, err)
	}
	if err := copyXattrs(src, dst); err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		// After chown, which clears setuid bits.
		if err := unix.Chmod(dst, uint32(st.Mode)&0o7777); err != nil {
			return fmt.Errorf("chmod %s: %w", dst, err)
		}
	}
	return nil
}

// copyXattrs copies extended attributes; a filesystem without them is
// not an error.
func copyXattrs(src, dst string) error {
	xs, err := fsx.Lxattrs(src)
	if errors.Is(err, unix.ENOTSUP) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading xattrs of %s: %w", src, err)
	}
	for _, x := range xs {
		if err := fsx.Lsetxattr(dst, x[0], []byte(x[1])); err != nil && !errors.Is(err, unix.ENOTSUP) {
			return fmt.Errorf("setting xattr %s on %s: %w", x[0], dst, err)
		}
	}
	return nil
}
