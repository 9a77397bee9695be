package repo

import (
	"runtime"
	"sync"

	"github.com/gostree/gostree/internal/object"
	"golang.org/x/sys/unix"
)

// Hot paths (object lookups, staging, publishing) name objects relative
// to a descriptor of their directory instead of by absolute path: the
// kernel then resolves two components, not the whole path, for each of
// the several calls per object of a commit or pull.

// dirFD is a lazily opened O_PATH descriptor of a directory, closed when
// its owner is collected.
type dirFD struct {
	once sync.Once
	fd   int // -1 when the directory could not be opened
	open bool
}

// get returns the descriptor of the directory at path, or -1 when it
// cannot be opened.
func (d *dirFD) get(path string) int {
	d.once.Do(func() {
		fd, err := unix.Open(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			d.fd = -1
			return
		}
		d.fd, d.open = fd, true
	})
	return d.fd
}

// close closes the descriptor if it was opened.
func (d *dirFD) close() {
	if d.open {
		unix.Close(d.fd)
	}
}

// objectAt returns a descriptor of the objects directory and the path of
// object c.t relative to it (the absolute path when there is no
// descriptor).
func (r *Repo) objectAt(c object.Checksum, t object.Type) (int, string) {
	rel := object.LoosePath(c, t, r.mode.IsArchive())
	fd := r.objFD.get(r.path + "/objects")
	if fd < 0 {
		return unix.AT_FDCWD, r.path + "/objects/" + rel
	}
	return fd, rel
}

// closeDirFDOnCleanup closes the repo's objects descriptor once the repo
// is unreachable.
func closeDirFDOnCleanup(r *Repo) {
	runtime.AddCleanup(r, (*dirFD).close, r.objFD)
}
