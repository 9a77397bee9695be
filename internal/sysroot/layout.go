package sysroot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/repo"
)

// InitFSOptions configure InitFS.
type InitFSOptions struct {
	// Modern creates only boot/ and ostree/, not the traditional
	// top-level directories.
	Modern bool
	// PrivateOstree makes ostree/ mode 0700 (init-fs --epoch=2).
	PrivateOstree bool
}

type topDir struct {
	name string
	mode fs.FileMode
}

// traditionalDirs are the top-level directories of a classic root that
// init-fs creates unless --modern is given.
var traditionalDirs = []topDir{
	{"dev", 0o755}, {"home", 0o755}, {"proc", 0o755}, {"run", 0o755},
	{"sys", 0o755}, {"root", 0o700}, {"tmp", 0o755},
}

// InitFS prepares path as a physical root (`admin init-fs`): the
// top-level directories and a bare system repository.
func InitFS(ctx context.Context, path string, opts InitFSOptions) error {
	fi, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the bare errno, as libostree reports it
		}
		return fmt.Errorf("opendir(%s): %w", path, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("opendir(%s): %w", path, errors.New("not a directory"))
	}
	dirs := []topDir{{"boot", 0o755}}
	if !opts.Modern {
		dirs = append(dirs, traditionalDirs...)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(path, d.name), d.mode); err != nil {
			return err
		}
	}
	if !opts.Modern {
		if err := os.Chmod(filepath.Join(path, "tmp"), 0o777|fs.ModeSticky); err != nil {
			return fmt.Errorf("chmod: tmp: %w", err)
		}
	}
	if err := ensureInitialized(ctx, path); err != nil {
		return err
	}
	if opts.PrivateOstree {
		if err := os.Chmod(filepath.Join(path, "ostree"), 0o700); err != nil {
			return fmt.Errorf("chmod: ostree: %w", err)
		}
	}
	return nil
}

// ensureInitialized creates ostree/repo (mode bare) and ostree/deploy.
func ensureInitialized(ctx context.Context, path string) error {
	for _, d := range []string{"ostree/repo", "ostree/deploy"} {
		if err := os.MkdirAll(filepath.Join(path, d), 0o755); err != nil {
			return err
		}
	}
	_, err := repo.Init(ctx, filepath.Join(path, "ostree/repo"), repo.InitOptions{Mode: repo.ModeBare})
	return err
}

// EnsureInitialized creates the system repository and ostree/deploy when
// missing.
func (s *Sysroot) EnsureInitialized(ctx context.Context) error { return ensureInitialized(ctx, s.path) }

// InitStateroot creates ostree/deploy/NAME with an empty shared var, as
// libostree does from 2024.3 on: the first deployment fills it (see
// populateVar).
func (s *Sysroot) InitStateroot(ctx context.Context, name string) error {
	if err := validStateroot(name); err != nil {
		return err
	}
	dir := s.Abs("ostree/deploy/" + name)
	// Bare errnos, so messages read "Creating X: File exists" as in
	// libostree.
	if err := unix.Mkdir(dir, 0o777); err != nil {
		return fmt.Errorf("Creating %s: %w", "ostree/deploy/"+name, err)
	}
	if err := unix.Mkdir(filepath.Join(dir, "var"), 0o777); err != nil {
		return fmt.Errorf("Creating %s: %w", "var", err)
	}
	if err := fsx.SyncDir(dir); err != nil {
		return err
	}
	return s.BumpMtime()
}

// validStateroot rejects names that could escape ostree/deploy.
func validStateroot(name string) error {
	if name == "" || name == "." || name == ".." || filepath.Base(name) != name {
		return fmt.Errorf("Invalid stateroot name '%s'", name)
	}
	return nil
}
