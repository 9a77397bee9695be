package checkout

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/membudget"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// source is one repository of the core.parent chain that objects may be
// hard linked from.
type source struct {
	r      *repo.Repo
	mode   repo.Mode
	objFd  int // objects/
	dirs   *objectDirs
	tmpFd  int // tmp/, for union replacements; -1 until needed
	tmpMu  sync.Mutex
	objDir string
}

func (s *source) tmpDir() (int, error) {
	s.tmpMu.Lock()
	defer s.tmpMu.Unlock()
	if s.tmpFd >= 0 {
		return s.tmpFd, nil
	}
	fd, err := openDirAt(unix.AT_FDCWD, filepath.Join(s.r.Path(), "tmp"), true)
	if err != nil {
		return -1, fmt.Errorf("opening repo tmp: %w", sysErr(err))
	}
	s.tmpFd = fd
	return fd, nil
}

// checkouter holds the state of one checkout.
type checkouter struct {
	ctx   context.Context
	r     *repo.Repo
	opts  Options
	user  bool
	chain []*source

	repoDev uint64 // st_dev of the repo, for RequireHardlinks
	cache   *uncompressedCache

	metaMu sync.Mutex
	metas  map[object.Checksum]object.DirMeta

	fdMu sync.Mutex
	fds  map[int]struct{} // open directory fds, closed at the end
	pool *pool
}

// Checkout writes commit (or opts.Subpath of it) to dest, a directory
// path that must not exist unless opts.Overwrite allows it. Its parent
// must exist.
func Checkout(ctx context.Context, r *repo.Repo, commit object.Checksum, dest string, opts Options) error {
	membudget.LimitGo(r.Config())
	root, err := r.CommitRoot(ctx, commit)
	if err != nil {
		return err
	}
	target := root
	if opts.Subpath != "" && opts.Subpath != "/" {
		target, err = r.ResolvePath(ctx, root, opts.Subpath)
		if err != nil {
			if opts.AllowNoent && errors.Is(err, errdefs.ErrNotFound) {
				return nil
			}
			return err
		}
	}
	if opts.Overwrite == OverwriteUnionIdentical && !opts.RequireHardlinks {
		return fmt.Errorf("--union-identical requires --require-hardlinks: %w", errdefs.ErrInvalid)
	}
	if opts.RequireHardlinks && opts.ForceCopy {
		return fmt.Errorf("Cannot specify both --require-hardlinks and --force-copy: %w", errdefs.ErrInvalid)
	}
	c := &checkouter{
		ctx:   ctx,
		r:     r,
		opts:  opts,
		user:  opts.UserMode || r.Mode() == repo.ModeBareUserOnly,
		metas: map[object.Checksum]object.DirMeta{},
		fds:   map[int]struct{}{},
	}
	defer c.close()
	if err := c.openSources(); err != nil {
		return err
	}
	if !target.Dir {
		return c.checkoutSingleFile(target, dest)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	c.pool = newPool(ctx)
	c.pool.submit(func() error {
		return c.checkoutDir(nil, unix.AT_FDCWD, dest, "/", target.Tree, target.Meta)
	})
	return c.pool.run(workers)
}

func (c *checkouter) openSources() error {
	for x := c.r; x != nil; x = x.Parent() {
		objDir := filepath.Join(x.Path(), "objects")
		fd, err := openDirAt(unix.AT_FDCWD, objDir, true)
		if err != nil {
			return fmt.Errorf("opening %s: %w", objDir, sysErr(err))
		}
		c.chain = append(c.chain, &source{r: x, mode: x.Mode(), objFd: fd, dirs: &objectDirs{objFd: fd}, tmpFd: -1, objDir: objDir})
	}
	var st unix.Stat_t
	if err := unix.Stat(c.r.Path(), &st); err != nil {
		return fmt.Errorf("stat %s: %w", c.r.Path(), sysErr(err))
	}
	c.repoDev = st.Dev
	if c.opts.UncompressedCache && c.user && c.r.Mode() == repo.ModeArchive &&
		c.r.ConfigBool("enable-uncompressed-cache", true) && unix.Access(c.r.Path(), unix.W_OK) == nil {
		cache, err := openUncompressedCache(c.r)
		if err != nil {
			return err
		}
		c.cache = cache
	}
	return nil
}

func (c *checkouter) close() {
	for _, s := range c.chain {
		s.dirs.close()
		unix.Close(s.objFd)
		if s.tmpFd >= 0 {
			unix.Close(s.tmpFd)
		}
	}
	if c.cache != nil {
		c.cache.close()
	}
	c.fdMu.Lock()
	for fd := range c.fds {
		unix.Close(fd)
	}
	c.fds = nil
	c.fdMu.Unlock()
}

func (c *checkouter) trackFd(fd int) {
	c.fdMu.Lock()
	c.fds[fd] = struct{}{}
	c.fdMu.Unlock()
}

func (c *checkouter) closeFd(fd int) {
	c.fdMu.Lock()
	delete(c.fds, fd)
	c.fdMu.Unlock()
	unix.Close(fd)
}

// dirMeta loads a dirmeta, once per checksum.
func (c *checkouter) dirMeta(csum object.Checksum) (object.DirMeta, error) {
	c.metaMu.Lock()
	m, ok := c.metas[csum]
	c.metaMu.Unlock()
	if ok {
		return m, nil
	}
	m, err := c.r.LoadDirMeta(c.ctx, csum)
	if err != nil {
		return m, err
	}
	c.metaMu.Lock()
	c.metas[csum] = m
	c.metaMu.Unlock()
	return m, nil
}

// checkoutSingleFile handles a subpath naming a file: dest is created as
// a directory (unless it is ".") and the file goes inside it.
func (c *checkouter) checkoutSingleFile(target repo.TreeEntry, dest string) error {
	dfd := unix.AT_FDCWD
	if dest != "." {
		if err := unix.Mkdirat(unix.AT_FDCWD, dest, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("mkdirat: %w", sysErr(err))
		}
		fd, err := openDirAt(unix.AT_FDCWD, dest, true)
		if err != nil {
			return fmt.Errorf("opendir(%s): %w", dest, sysErr(err))
		}
		defer unix.Close(fd)
		dfd = fd
	}
	// libostree ignores the skip list when checking out a single file.
	c.opts.Skip = nil
	return c.checkoutFile(dfd, target.Name, "/"+target.Name, target.Content)
}
