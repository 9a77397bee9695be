package sysroot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/diff"
)

// EtcChanges are the local changes of a deployment's /etc against its
// defaults in /usr/etc, paths relative to etc.
type EtcChanges struct {
	Modified, Removed, Added []string
}

// EtcDiff compares the deployment's usr/etc (defaults) with its etc
// (live), ignoring xattrs, as the /etc merge and `admin config-diff` do.
func (s *Sysroot) EtcDiff(ctx context.Context, d *Deployment) (*EtcChanges, error) {
	root := s.Abs(d.RelPath())
	return etcDiff(ctx, filepath.Join(root, "usr/etc"), filepath.Join(root, "etc"))
}

func etcDiff(ctx context.Context, orig, live string) (*EtcChanges, error) {
	a, err := diff.Dir(orig)
	if err != nil {
		return nil, err
	}
	b, err := diff.Dir(live)
	if err != nil {
		return nil, err
	}
	res, err := diff.Dirs(ctx, a, b, diff.Options{IgnoreXattrs: true, OwnerUID: -1, OwnerGID: -1})
	if err != nil {
		return nil, fmt.Errorf("While computing configuration diff: %w", err)
	}
	ch := &EtcChanges{}
	for _, it := range res.Modified {
		ch.Modified = append(ch.Modified, rel(it.Target.Path(b)))
	}
	for _, n := range res.Removed {
		ch.Removed = append(ch.Removed, rel(n.Path(a)))
	}
	for _, n := range res.Added {
		ch.Added = append(ch.Added, rel(n.Path(b)))
	}
	return ch, nil
}

func rel(p string) string { return strings.TrimPrefix(p, "/") }

// mergeEtc applies the local changes of merge's /etc to the new
// deployment's fresh etc: removals are removed, modified and added paths
// are copied over (local changes win). It returns the changes applied.
func (s *Sysroot) mergeEtc(ctx context.Context, merge *Deployment, newRoot string) (*EtcChanges, error) {
	mroot := s.Abs(merge.RelPath())
	origEtc, liveEtc := filepath.Join(mroot, "usr/etc"), filepath.Join(mroot, "etc")
	ch, err := etcDiff(ctx, origEtc, liveEtc)
	if err != nil {
		return nil, fmt.Errorf("During /etc merge: %w", err)
	}
	newEtc := filepath.Join(newRoot, "etc")
	c := copier{noXattrs: s.Debug.NoXattrs}
	for _, p := range ch.Removed {
		if err := os.RemoveAll(filepath.Join(newEtc, p)); err != nil {
			return nil, fmt.Errorf("During /etc merge: %w", err)
		}
	}
	for _, list := range [][]string{ch.Modified, ch.Added} {
		for _, p := range list {
			if err := copyModifiedConfig(c, liveEtc, newEtc, p); err != nil {
				return nil, fmt.Errorf("During /etc merge: %w", err)
			}
		}
	}
	return ch, nil
}

// copyModifiedConfig copies etc/p from the live tree into the new one,
// creating missing parents with the live parents' attributes.
func copyModifiedConfig(c copier, liveEtc, newEtc, p string) error {
	src, dst := filepath.Join(liveEtc, p), filepath.Join(newEtc, p)
	var mst unix.Stat_t
	if err := unix.Lstat(src, &mst); err != nil {
		return fmt.Errorf("Reading modified config file: %w", err)
	}
	if dir := filepath.Dir(p); dir != "." {
		if err := ensureDirFromTemplate(c, liveEtc, newEtc, dir); err != nil {
			return err
		}
	}
	var nst unix.Stat_t
	err := unix.Lstat(dst, &nst)
	switch {
	case errors.Is(err, unix.ENOENT):
	case err != nil:
		return fmt.Errorf("fstatat: %w", err)
	case nst.Mode&unix.S_IFMT == unix.S_IFDIR:
		if mst.Mode&unix.S_IFMT != unix.S_IFDIR {
			return fmt.Errorf("Modified config file newly defaults to directory '%s', cannot merge", p)
		}
		// The parent directory was copied recursively already.
		return nil
	default:
		if err := os.Remove(dst); err != nil {
			return err
		}
	}
	switch mst.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return c.copyDir(src, dst)
	case unix.S_IFLNK, unix.S_IFREG:
		if err := c.copyFile(src, dst); err != nil {
			return fmt.Errorf("Copying %s: %w", p, err)
		}
	}
	// Other file types are ignored, as libostree does.
	return nil
}

// ensureDirFromTemplate creates newEtc/dir and its missing parents, each
// with the attributes of the same directory in liveEtc.
func ensureDirFromTemplate(c copier, liveEtc, newEtc, dir string) error {
	dst := filepath.Join(newEtc, dir)
	err := os.Mkdir(dst, 0o700)
	if errors.Is(err, fs.ErrNotExist) {
		if parent := filepath.Dir(dir); parent != "." {
			if err := ensureDirFromTemplate(c, liveEtc, newEtc, parent); err != nil {
				return err
			}
		}
		err = os.Mkdir(dst, 0o700)
	}
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("mkdirat: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(liveEtc, dir), &st); err != nil {
		return err
	}
	return c.copyAttrs(filepath.Join(liveEtc, dir), dst, &st)
}
