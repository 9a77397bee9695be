package fsck

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// This file verifies content objects stored in the repository itself
// with raw system calls: fsck spends most of its time opening and
// reading small files, and os.File adds a poller registration and
// fstat per open. Objects in parent repositories, bare repositories
// (whose xattrs follow the repo package's rules) and anything unusual go
// through repo.LoadFile instead.

var bufioPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// errFallback sends an object to the generic path.
var errFallback = errors.New("fsck: use the generic path")

// verifyLocalContent verifies content object c of r when r stores it
// itself in archive, bare-user or bare-user-only mode. It returns
// errFallback when the generic path must decide.
func verifyLocalContent(ctx context.Context, r *repo.Repo, c object.Checksum) error {
	mode := r.Mode()
	if mode != repo.ModeArchive && mode != repo.ModeBareUser && mode != repo.ModeBareUserOnly {
		return errFallback
	}
	p := r.ObjectPath(c, object.TypeFile)
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NOCTTY, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NOCTTY, 0)
	}
	if err != nil {
		// Missing (maybe in a parent repo), a symlink (bare-user-only)
		// or unreadable: let the generic path report it.
		return errFallback
	}
	defer unix.Close(fd)
	prefix := "fsck content object " + c.String() + ": "
	var h *object.FileHeader
	var payload io.Reader = fsx.FDReader{FD: fd}
	switch mode {
	case repo.ModeArchive:
		br := bufioPool.Get().(*bufio.Reader)
		br.Reset(fsx.FDReader{FD: fd})
		defer bufioPool.Put(br)
		var size uint64
		h, size, err = readArchiveHeader(br)
		if err != nil {
			return corruptf("%s%v", prefix, err)
		}
		if !h.IsSymlink() {
			fr := flatePool.Get().(io.ReadCloser)
			defer flatePool.Put(fr)
			if err := fr.(flate.Resetter).Reset(br, nil); err != nil {
				return corruptf("%s%v", prefix, err)
			}
			payload = &exactReader{r: fr, left: int64(size)}
		}
	case repo.ModeBareUser:
		var buf [512]byte
		n, err := unix.Fgetxattr(fd, "user.ostreemeta", buf[:])
		if err != nil {
			return errFallback
		}
		if h, err = object.UnmarshalBareUserMeta(buf[:n]); err != nil {
			return corruptf("%s%v", prefix, err)
		}
		if h.IsSymlink() {
			b, err := io.ReadAll(io.LimitReader(payload, unix.PathMax+1))
			if err != nil {
				return corruptf("%s%v", prefix, err)
			}
			h.Target = string(bytes.TrimSuffix(b, []byte{0}))
		}
	case repo.ModeBareUserOnly:
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return errFallback
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			return errFallback
		}
		h = &object.FileHeader{Mode: st.Mode}
	}
	return hashContent(prefix, c, h, payload)
}

var flatePool = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}

// readArchiveHeader reads the length-prefixed header of a .filez object.
func readArchiveHeader(br *bufio.Reader) (*object.FileHeader, uint64, error) {
	var pre [8]byte
	if _, err := io.ReadFull(br, pre[:]); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", object.ErrCorruptFile, err)
	}
	n := binary.BigEndian.Uint32(pre[:])
	if n > 10<<20 {
		return nil, 0, fmt.Errorf("%w: header length %d out of range", object.ErrCorruptFile, n)
	}
	buf := make([]byte, 8+int(n))
	copy(buf, pre[:])
	if _, err := io.ReadFull(br, buf[8:]); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", object.ErrCorruptFile, err)
	}
	h, size, _, err := object.UnmarshalArchiveHeader(buf)
	return h, size, err
}

// exactReader yields exactly left bytes of a .filez payload, as the
// header declares.
type exactReader struct {
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		var one [1]byte
		if n, _ := e.r.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("%w: payload larger than its header says", object.ErrCorruptFile)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF {
		if e.left > 0 {
			return n, fmt.Errorf("%w: payload shorter than its header says", object.ErrCorruptFile)
		}
		err = nil
	}
	return n, err
}

// hashContent checks the mode and rehashes header and payload.
func hashContent(prefix string, c object.Checksum, h *object.FileHeader, payload io.Reader) error {
	if f := h.Mode & object.ModeFmt; f != object.ModeReg && f != object.ModeLink {
		return corruptf("%sInvalid file metadata mode %d; not a valid file type", prefix, h.Mode)
	}
	if err := validatePerms(h.Mode); err != nil {
		return corruptf("%s%v", prefix, err)
	}
	d := object.NewFileHasher(h)
	if !h.IsSymlink() {
		bp := bufPool.Get().(*[]byte)
		_, err := io.CopyBuffer(d, struct{ io.Reader }{payload}, *bp)
		bufPool.Put(bp)
		if err != nil {
			return corruptf("%s%v", prefix, err)
		}
	}
	if got := object.HashSum(d); got != c {
		return corruptf("%s%s", prefix, checksumMismatch(object.TypeFile, c, got))
	}
	return nil
}
