package fetch

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// partialPrefix names partial downloads in TmpDir.
const partialPrefix = "fetch-"

// partialExpiry is when an abandoned partial download is removed, as
// core.tmp-expiry-secs does for libostree's tmp files.
const partialExpiry = 24 * time.Hour

// partial is the part of one URL's body received so far.
type partial struct {
	buf       []byte   // in memory, or
	file      *os.File // on disk, locked, holding off bytes
	path      string
	off       int64
	validator string // ETag or Last-Modified, for If-Range
	// fromDisk marks data left by an earlier process.
	fromDisk bool
}

func (p *partial) size() int64 {
	if p.file != nil {
		return p.off
	}
	return int64(len(p.buf))
}

// reset drops what was received.
func (p *partial) reset() {
	p.buf = p.buf[:0]
	p.off = 0
	p.validator = ""
	p.fromDisk = false
	if p.file != nil {
		emptyFile(p.file)
	}
}

// emptyFile truncates f to nothing unless it is empty already. A
// truncate to zero, even of an empty file, makes ext4 (auto_da_alloc)
// write the file's data out when it is closed, as for a file rewritten
// in place: a partial download that is removed when it completes would
// otherwise reach the disk, as many bytes as it holds, instead of
// staying in the page cache until it is unlinked.
func emptyFile(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		return nil
	}
	return f.Truncate(0)
}

// resumeState holds the partial bodies of one Fetch across its attempts.
type resumeState struct {
	byURL map[string]*partial
}

// release closes files that no Body took over; they stay on disk for a
// later process to resume.
func (s *resumeState) release() {
	for _, p := range s.byURL {
		if p.file != nil {
			p.file.Close()
			p.file = nil
		}
	}
}

// partials tracks the partial-download files of a TmpDir, so that
// looking for one costs no system call when there is none.
type partials struct {
	dir   string
	mu    sync.Mutex
	names map[string]bool
}

func loadPartials(dir string) *partials {
	p := &partials{dir: dir, names: map[string]bool{}}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return p
	}
	now := time.Now()
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), partialPrefix) || !e.Type().IsRegular() {
			continue
		}
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > partialExpiry {
			os.Remove(filepath.Join(dir, e.Name()))
			continue
		}
		p.names[e.Name()] = true
	}
	return p
}

func partialName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return partialPrefix + hex.EncodeToString(sum[:])
}

// open returns the locked partial file for key: an existing one, or with
// create a new empty one. It returns nil when there is none, or when
// another process holds it.
func (p *partials) open(key string, create bool) (*os.File, string, error) {
	name := partialName(key)
	path := filepath.Join(p.dir, name)
	p.mu.Lock()
	known := p.names[name]
	p.mu.Unlock()
	if !known && !create {
		return nil, "", nil
	}
	flags := os.O_RDWR
	if create {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		p.forget(path)
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, "", nil
	}
	p.mu.Lock()
	p.names[name] = true
	p.mu.Unlock()
	return f, path, nil
}

func (p *partials) forget(path string) {
	p.mu.Lock()
	delete(p.names, filepath.Base(path))
	p.mu.Unlock()
}
