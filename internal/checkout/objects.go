package checkout

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
)

// maxDirTreeSize bounds dirtrees read directly, as libostree bounds
// metadata objects.
const maxDirTreeSize = 10 << 20

// objectDirs caches descriptors of a repository's objects/XX
// directories, so that per-object system calls resolve a single name.
type objectDirs struct {
	objFd int
	mu    sync.Mutex
	fds   [256]int // 0: not opened yet; -1: missing
}

func (d *objectDirs) dir(prefix byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if fd := d.fds[prefix]; fd != 0 {
		return fd, nil
	}
	name := hex.EncodeToString([]byte{prefix})
	fd, err := openDirAt(d.objFd, name, false)
	if errors.Is(err, unix.ENOENT) {
		d.fds[prefix] = -1
		return -1, nil
	}
	if err != nil {
		return -1, fmt.Errorf("opendir(objects/%s): %w", name, sysErr(err))
	}
	d.fds[prefix] = fd
	return fd, nil
}

func (d *objectDirs) close() {
	for i, fd := range d.fds {
		if fd > 0 {
			unix.Close(fd)
		}
		d.fds[i] = 0
	}
}

// objectName is an object's file name inside its objects/XX directory.
func objectName(c object.Checksum, suffix string) string {
	var b [62 + 1 + 16]byte
	hex.Encode(b[:], c[1:])
	b[62] = '.'
	n := copy(b[63:], suffix)
	return string(b[:63+n])
}

// readDirTree reads a dirtree straight from the first repository of the
// chain that has it, falling back to the repository API (which reports
// missing objects the libostree way) when none does.
func (c *checkouter) readDirTree(csum object.Checksum) (object.DirTree, error) {
	name := objectName(csum, "dirtree")
	for _, s := range c.chain {
		dfd, err := s.dirs.dir(csum[0])
		if err != nil {
			return object.DirTree{}, err
		}
		if dfd < 0 {
			continue
		}
		b, err := readSmallFile(dfd, name, maxDirTreeSize)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return object.DirTree{}, fmt.Errorf("load %s.dirtree: %w", csum, sysErr(err))
		}
		if t, ok := parseDirTreeFast(b); ok {
			return t, nil
		}
		t, err := object.UnmarshalDirTree(b)
		if err != nil {
			return object.DirTree{}, fmt.Errorf("dirtree %s: %w: %v", csum, errdefs.ErrCorrupt, err)
		}
		return t, nil
	}
	return c.r.LoadDirTree(c.ctx, csum)
}

// readSmallFile reads name below dfd whole, refusing files over limit.
func readSmallFile(dfd int, name string, limit int64) ([]byte, error) {
	fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if st.Size > limit {
		return nil, fmt.Errorf("metadata object is larger than %d bytes: %w", limit, errdefs.ErrCorrupt)
	}
	b := make([]byte, st.Size)
	for n := 0; n < len(b); {
		m, err := unix.Read(fd, b[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m == 0 {
			return b[:n], nil
		}
		n += m
	}
	return b, nil
}
