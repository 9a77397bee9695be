package checkout

import (
	"errors"
	"fmt"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

const (
	whiteoutPrefix         = ".wh."
	opaqueWhiteoutName     = ".wh..wh..opq"
	overlayWhiteoutPrefix  = ".ostree-wh."
	filesPerTask           = 64
	defaultDirectoryMode   = 0o775
	checkoutUnionTmpPrefix = "checkout-union-"
)

// dirNode is a directory being checked out. It is finished (mode,
// owner, mtime applied, fd closed) once its own files and all its
// subdirectories are; pending counts what is still outstanding.
type dirNode struct {
	parent   *dirNode
	fd       int
	meta     object.DirMeta
	didExist bool
	pending  atomic.Int64
}

// checkoutDir creates the directory name below parentFd from the given
// dirtree and dirmeta, then queues its files and subdirectories. path is
// the directory's path relative to the checkout root, with a trailing
// slash, as the skip list sees it.
func (c *checkouter) checkoutDir(parent *dirNode, parentFd int, name, path string, treeCsum, metaCsum object.Checksum) error {
	if parent != nil {
		// Validate again: this name is about to be created below parentFd.
		if err := checkName(name); err != nil {
			return fmt.Errorf("checking out %s: %w", path, sysErr(err))
		}
	}
	tree, err := c.readDirTree(treeCsum)
	if err != nil {
		return annotate(path, err)
	}
	meta, err := c.dirMeta(metaCsum)
	if err != nil {
		return annotate(path, err)
	}
	if c.opts.Skip != nil && c.opts.Skip(path) {
		return c.finished(parent)
	}

	if c.opts.Whiteouts {
		for _, f := range tree.Files {
			if f.Name == opaqueWhiteoutName {
				if err := rmrfAt(parentFd, name); err != nil {
					return err
				}
				break
			}
		}
	}

	n := &dirNode{parent: parent, meta: meta, fd: -1}
	if err := unix.Mkdirat(parentFd, name, 0o700); err != nil {
		if !errors.Is(err, unix.EEXIST) || c.opts.Overwrite == OverwriteNone {
			return fmt.Errorf("mkdirat: %w", sysErr(err))
		}
		n.didExist = true
		if parent != nil {
			replaced, err := c.replaceNonDir(parentFd, name, path)
			if err != nil {
				return err
			}
			n.didExist = !replaced
		}
	}
	fd, err := openDirAt(parentFd, name, parent == nil)
	if err != nil {
		if parent != nil && (errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR)) {
			return fmt.Errorf("checking out %s: the destination has a non-directory in the way: %w", path, sysErr(err))
		}
		return fmt.Errorf("opendir(%s): %w", name, sysErr(err))
	}
	n.fd = fd
	c.trackFd(fd)

	if c.opts.RequireHardlinks {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return fmt.Errorf("fstat: %w", sysErr(err))
		}
		if st.Dev != c.repoDev {
			return fmt.Errorf("Unable to do hardlink checkout across devices (src=%d destination=%d)", c.repoDev, st.Dev)
		}
	}
	if !n.didExist && !c.user && len(meta.Xattrs) > 0 {
		if err := setXattrsFd(fd, meta.Xattrs); err != nil {
			return err
		}
	}

	// One pending unit for each queued file batch and subdirectory, plus
	// one held until everything is queued. The first batch of files is
	// checked out here, after queueing the rest for other workers.
	files := tree.Files
	first := files[:min(len(files), filesPerTask)]
	files = files[len(first):]
	if c.opts.Whiteouts {
		// Whiteouts act on names this directory's files and
		// subdirectories may create, so keep libostree's order: all
		// files in sequence, then the subdirectories.
		first, files = tree.Files, nil
		if err := c.checkoutFiles(fd, path, first); err != nil {
			return err
		}
		first = nil
	}
	batches := (len(files) + filesPerTask - 1) / filesPerTask
	n.pending.Store(int64(batches + len(tree.Dirs) + 1))
	for i := range batches {
		batch := files[i*filesPerTask : min(len(files), (i+1)*filesPerTask)]
		c.pool.submit(func() error {
			if err := c.checkoutFiles(fd, path, batch); err != nil {
				return err
			}
			return c.finished(n)
		})
	}
	for i := len(tree.Dirs) - 1; i >= 0; i-- {
		d := tree.Dirs[i]
		c.pool.submit(func() error {
			return c.checkoutDir(n, fd, d.Name, path+d.Name+"/", d.Tree, d.Meta)
		})
	}
	if err := c.checkoutFiles(fd, path, first); err != nil {
		return err
	}
	return c.finished(n)
}

func (c *checkouter) checkoutFiles(dfd int, dirPath string, files []object.TreeFile) error {
	for _, f := range files {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		if err := c.checkoutFile(dfd, f.Name, dirPath+f.Name, f.Checksum); err != nil {
			return err
		}
	}
	return nil
}

// finished releases one pending unit of n and finishes every directory
// that thereby becomes complete, walking up.
func (c *checkouter) finished(n *dirNode) error {
	for n != nil && n.pending.Add(-1) == 0 {
		if err := c.finishDir(n); err != nil {
			return err
		}
		n = n.parent
	}
	return nil
}

// finishDir applies the directory's mode, owner and mtime last, so that
// nobody can use a half-built directory, then closes it.
func (c *checkouter) finishDir(n *dirNode) error {
	defer c.closeFd(n.fd)
	if !n.didExist {
		mode := n.meta.Mode
		if c.r.Mode() == repo.ModeBareUserOnly || c.opts.BareUserOnlyDirs {
			mode = mode&0o775 | object.ModeDir
		}
		if err := unix.Fchmod(n.fd, mode&0o7777); err != nil {
			return fmt.Errorf("fchmod: %w", sysErr(err))
		}
		if !c.user {
			if err := unix.Fchown(n.fd, int(n.meta.UID), int(n.meta.GID)); err != nil {
				return fmt.Errorf("fchown: %w", sysErr(err))
			}
		}
		if !c.opts.ForceCopy {
			if err := futimensEpoch(n.fd); err != nil {
				return fmt.Errorf("futimens: %w", sysErr(err))
			}
		}
	}
	if c.opts.Fsync {
		if err := unix.Fsync(n.fd); err != nil {
			return fmt.Errorf("fsync: %w", sysErr(err))
		}
	}
	return nil
}

// annotate names the tree path in errors about corrupt metadata.
func annotate(path string, err error) error {
	if errors.Is(err, errdefs.ErrCorrupt) {
		return fmt.Errorf("checking out %s: %w", path, sysErr(err))
	}
	return err
}

// replaceNonDir handles a union checkout meeting a non-directory where
// the tree has a directory. A symlink is replaced, never followed (2022.7
// replaces it; 2025.2 follows it without --whiteouts, which can write
// outside the destination); with --whiteouts anything else is replaced
// too, as 2025.2 does. Otherwise the caller's open fails on it.
func (c *checkouter) replaceNonDir(parentFd int, name, path string) (bool, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(parentFd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return false, fmt.Errorf("checking out %s: %w", path, sysErr(err))
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return false, nil
	case unix.S_IFLNK:
	default:
		if !c.opts.Whiteouts {
			return false, nil
		}
	}
	if err := unix.Unlinkat(parentFd, name, 0); err != nil {
		return false, fmt.Errorf("checking out %s: replacing a non-directory: %w", path, sysErr(err))
	}
	if err := unix.Mkdirat(parentFd, name, 0o700); err != nil {
		return false, fmt.Errorf("mkdirat: %w", sysErr(err))
	}
	return true, nil
}
