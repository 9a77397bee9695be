package checkout

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

const uncompressedCacheDir = "uncompressed-objects-cache"

// uncompressedCache is an archive repository's uncompressed-objects-cache:
// objects unpacked in bare-user form, which user-mode checkouts hard link
// from. It is created on first use.
type uncompressedCache struct {
	r *repo.Repo

	mu      sync.Mutex
	fd      int // -1 until the directory exists
	tmpFd   int
	objDirs map[string]bool
}

func openUncompressedCache(r *repo.Repo) (*uncompressedCache, error) {
	c := &uncompressedCache{r: r, fd: -1, tmpFd: -1, objDirs: map[string]bool{}}
	fd, err := openDirAt(unix.AT_FDCWD, filepath.Join(r.Path(), uncompressedCacheDir), true)
	switch {
	case err == nil:
		c.fd = fd
	case !errors.Is(err, unix.ENOENT):
		return nil, fmt.Errorf("opendir(%s): %w", uncompressedCacheDir, sysErr(err))
	}
	return c, nil
}

func (c *uncompressedCache) close() {
	if c.fd >= 0 {
		unix.Close(c.fd)
	}
	if c.tmpFd >= 0 {
		unix.Close(c.tmpFd)
	}
}

func (c *uncompressedCache) dirFd() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fd
}

// ensureDirs creates the cache and the object's xx/ directory.
func (c *uncompressedCache) ensureDirs(loose string) (cacheFd, tmpFd int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fd < 0 {
		p := filepath.Join(c.r.Path(), uncompressedCacheDir)
		if err := unix.Mkdir(p, defaultDirectoryMode); err != nil && !errors.Is(err, unix.EEXIST) {
			return -1, -1, fmt.Errorf("mkdir %s: %w", uncompressedCacheDir, sysErr(err))
		}
		fd, err := openDirAt(unix.AT_FDCWD, p, true)
		if err != nil {
			return -1, -1, fmt.Errorf("opendir(%s): %w", uncompressedCacheDir, sysErr(err))
		}
		c.fd = fd
	}
	if c.tmpFd < 0 {
		fd, err := openDirAt(unix.AT_FDCWD, filepath.Join(c.r.Path(), "tmp"), true)
		if err != nil {
			return -1, -1, fmt.Errorf("opening repo tmp: %w", sysErr(err))
		}
		c.tmpFd = fd
	}
	sub := filepath.Dir(loose)
	if !c.objDirs[sub] {
		if err := unix.Mkdirat(c.fd, sub, defaultDirectoryMode); err != nil && !errors.Is(err, unix.EEXIST) {
			return -1, -1, fmt.Errorf("mkdirat(%s): %w", sub, sysErr(err))
		}
		c.objDirs[sub] = true
	}
	return c.fd, c.tmpFd, nil
}

// hardlinkFromCache links the object from the uncompressed cache,
// unpacking it there first when it is missing.
func (c *checkouter) hardlinkFromCache(csum object.Checksum, fi *fileInfo, dfd int, name string) (linkResult, error) {
	if fd := c.cache.dirFd(); fd >= 0 {
		res, err := c.hardlink(c.chain[0], fd, looseFile(csum), csum, dfd, name, true)
		if err != nil || res != linkNotSupported {
			return res, err
		}
	}
	h, err := c.header(csum, fi)
	if err != nil {
		return 0, err
	}
	loose := looseFile(csum)
	cacheFd, tmpFd, err := c.cache.ensureDirs(loose)
	if err != nil {
		return 0, err
	}
	if err := c.unpackToCache(h, fi, tmpFd, cacheFd, loose); err != nil {
		return 0, fmt.Errorf("Unpacking loose object %s: %w", csum, sysErr(err))
	}
	res, err := c.hardlink(c.chain[0], cacheFd, loose, csum, dfd, name, false)
	if err != nil {
		return 0, fmt.Errorf("Using new cached uncompressed hardlink of %s to %s: %w", csum, name, sysErr(err))
	}
	return res, nil
}

func (c *checkouter) unpackToCache(h *object.FileHeader, fi *fileInfo, tmpFd, cacheFd int, loose string) error {
	t, err := openTmpFile(tmpFd)
	if err != nil {
		return err
	}
	defer t.discard()
	if fi.payload != nil {
		if _, err := io.Copy(t.f, fi.payload); err != nil {
			return err
		}
		fi.payload.Close()
		fi.payload = nil
	}
	fd := int(t.f.Fd())
	if c.r.FsyncEnabled() {
		if err := unix.Fsync(fd); err != nil {
			return fmt.Errorf("fsync: %w", sysErr(err))
		}
	}
	// No setuid files in the cache.
	if err := unix.Fchmod(fd, h.Mode&0o7777&^(unix.S_ISUID|unix.S_ISGID)); err != nil {
		return fmt.Errorf("fchmod: %w", sysErr(err))
	}
	return t.linkAt(cacheFd, loose, linkIgnoreExist)
}
