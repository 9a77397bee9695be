package grubenv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gostree/gostree/internal/fsx"
)

// Read loads the block at path.
func Read(path string) (*Env, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	e, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// Write replaces the block at path atomically: a temporary file in the
// same directory, fsynced, renamed over path, and the directory fsynced.
// A crash leaves either the old or the new block, never a torn one. A
// relative symlink at path (Fedora links /boot/grub2/grubenv to the ESP)
// is kept and its target replaced.
func Write(path string, e *Env) error {
	data, err := e.Marshal()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if path, err = followRelative(path); err != nil {
		return err
	}
	perm := fs.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		perm = fi.Mode().Perm()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return fsx.WriteFileAtomic(path, data, perm, true)
}

// Update reads the block at path, applies fn and writes it back; when
// fn leaves the variables unchanged nothing is written.
func Update(path string, fn func(*Env) error) error {
	e, err := Read(path)
	if err != nil {
		return err
	}
	before, err := e.Marshal()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := fn(e); err != nil {
		return err
	}
	after, err := e.Marshal()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if string(before) == string(after) {
		return nil
	}
	return Write(path, e)
}

// followRelative resolves symlinks at path as long as they are relative.
// An absolute one names a path of the system that boots, which need not
// be this one (an image being built), so it is refused.
func followRelative(path string) (string, error) {
	for range 8 {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		target, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			return "", fmt.Errorf("grubenv %s links to the absolute path %s: refusing to follow it", path, target)
		}
		path = filepath.Join(filepath.Dir(path), target)
	}
	return "", fmt.Errorf("grubenv %s: too many levels of symbolic links", path)
}
