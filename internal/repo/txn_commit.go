package repo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/klauspost/compress/flate"
	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/object"
)

// This file holds the transaction entry points of the commit path: content
// whose checksum the caller already computed (so the payload is read once
// and not hashed twice) and adoption of files that --consume gives away.

// WriteTrustedFile stores a content object whose checksum c the caller
// computed from h and the payload (size bytes; ignored for symlinks). The
// payload is not hashed again. It returns whether the object was newly
// staged and the size it occupies in the store (the .filez size in archive
// repos, the payload size otherwise), for --generate-sizes.
func (t *Txn) WriteTrustedFile(ctx context.Context, c object.Checksum, h *object.FileHeader, size int64, payload io.Reader) (bool, int64, error) {
	if err := h.Validate(); err != nil {
		return false, 0, fmt.Errorf("%w: %v", errdefs.ErrInvalid, err)
	}
	if err := t.r.checkContentMode(c, h); err != nil {
		return false, 0, err
	}
	f, stored, err := t.writeContentTemp(h, &size, payload)
	if err != nil {
		return false, 0, fmt.Errorf("write content object %s: %w", c, err)
	}
	t.countContent()
	// The caller has just checked that the object is not stored yet.
	written, err := t.place(ctx, object.Name{Checksum: c, Type: object.TypeFile}, f, size, false)
	t.countWritten(written, size)
	return written, stored, err
}

// WriteFileStream stores a content object read once from payload (size
// bytes), hashing it while it is written; it is dropped if the object
// already exists. It returns the checksum, whether the object was newly
// staged, and its stored size (see WriteTrustedFile).
func (t *Txn) WriteFileStream(ctx context.Context, h *object.FileHeader, size int64, payload io.Reader) (object.Checksum, bool, int64, error) {
	return t.writeHashed(ctx, h, size, payload, nil)
}

// writeHashed writes a content object while hashing it; with expected
// set, a different checksum is an error and nothing is staged.
func (t *Txn) writeHashed(ctx context.Context, h *object.FileHeader, size int64, payload io.Reader, expected *object.Checksum) (object.Checksum, bool, int64, error) {
	if err := h.Validate(); err != nil {
		return object.Checksum{}, false, 0, fmt.Errorf("%w: %v", errdefs.ErrInvalid, err)
	}
	hasher := object.NewFileHasher(h)
	if !h.IsSymlink() && payload != nil {
		payload = io.TeeReader(payload, hasher)
	}
	f, stored, err := t.writeContentTemp(h, &size, payload)
	c := object.HashSum(hasher)
	if err != nil {
		return c, false, 0, err
	}
	if expected != nil && *expected != c {
		f.discard()
		return c, false, 0, fmt.Errorf("corrupted object %s (actual checksum is %s): %w", *expected, c, errdefs.ErrCorrupt)
	}
	if err := t.r.checkContentMode(c, h); err != nil {
		f.discard()
		return c, false, 0, err
	}
	t.countContent()
	written, err := t.place(ctx, object.Name{Checksum: c, Type: object.TypeFile}, f, size, true)
	t.countWritten(written, size)
	return c, written, stored, err
}

// writeContentTemp writes h and its payload in this repo's storage form
// to a new file for the staging dir. It zeroes *size for symlinks and
// fails, leaving nothing behind, when the payload is not *size bytes.
func (t *Txn) writeContentTemp(h *object.FileHeader, size *int64, payload io.Reader) (tmpFile, int64, error) {
	if h.IsSymlink() {
		*size, payload = 0, nil
	}
	var src *countingReader
	var r io.Reader
	if payload != nil {
		src = &countingReader{r: payload}
		r = src
	}
	bare := t.r.mode == ModeBare || t.r.mode == ModeBareUserOnly
	hh := *h
	if t.r.mode == ModeBare && t.r.disableXattrs {
		// Ownership is always applied; core.disable-xattrs only drops xattrs.
		hh.Xattrs = nil
	}
	if bare && h.IsSymlink() {
		// Symlinks cannot be anonymous files: they are made under a
		// temporary name and renamed into place.
		f := tmpFile{fd: -1, path: t.tempPath()}
		if err := writeBareSymlink(f.path, &hh, t.r.mode == ModeBare); err != nil {
			f.discard()
			return tmpFile{fd: -1}, 0, err
		}
		return f, 0, nil
	}
	f, err := t.createTemp()
	if err != nil {
		return f, 0, err
	}
	stored := *size
	switch t.r.mode {
	case ModeArchive:
		if stored, err = fillArchive(f.fd, h, *size, r, t.r.zlibLevel); err == nil {
			err = unix.Fchmod(f.fd, 0o644)
		}
	case ModeBareUser:
		err = fillBareUser(f.fd, h, r)
	default:
		err = fillBare(f.fd, &hh, r, t.r.mode == ModeBare)
	}
	if err == nil && src != nil && src.n != *size {
		err = fmt.Errorf("file payload is %d bytes, expected %d", src.n, *size)
	}
	if err != nil {
		f.discard()
		return tmpFile{fd: -1}, 0, err
	}
	return f, stored, nil
}

// checkContentMode rejects modes a bare-user-only repo cannot hold.
func (r *Repo) checkContentMode(c object.Checksum, h *object.FileHeader) error {
	if r.mode != ModeBareUserOnly || h.IsSymlink() {
		return nil
	}
	if bad := h.Mode &^ object.ModeFmt &^ 0o775; bad != 0 {
		return fmt.Errorf("Content object %s: invalid mode 0%04o with bits 0%04o: %w", c, h.Mode, bad, errdefs.ErrInvalid)
	}
	return nil
}

func (t *Txn) countContent() {
	t.mu.Lock()
	t.stats.ContentTotal++
	t.mu.Unlock()
}

func (t *Txn) countWritten(written bool, size int64) {
	if !written {
		return
	}
	t.mu.Lock()
	t.stats.ContentWritten++
	t.stats.ContentBytes += size
	t.mu.Unlock()
}

// AdoptFile takes ownership of the regular file at path, whose content
// checksum c the caller computed, as the object c: it is renamed into
// the staging directory (it must be on the repository's filesystem) and
// published by Commit. In bare-user-only repos its mode is canonicalized
// first. When the object already exists the file is simply removed. Only
// bare and bare-user-only repos store files as themselves.
func (t *Txn) AdoptFile(ctx context.Context, c object.Checksum, path string, size int64, mode uint32) (bool, error) {
	if t.r.mode != ModeBare && t.r.mode != ModeBareUserOnly {
		return false, fmt.Errorf("adopting files needs a bare or bare-user-only repository: %w", errdefs.ErrNotSupported)
	}
	if ok, err := t.HasObject(ctx, c, object.TypeFile); err != nil {
		return false, err
	} else if ok {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
		return false, nil
	}
	if t.r.mode == ModeBareUserOnly {
		if err := os.Chmod(path, fileMode(mode&0o755)); err != nil {
			return false, fmt.Errorf("adopt %s: %w", path, err)
		}
	}
	tmp := t.tempPath()
	if err := os.Rename(path, tmp); err != nil {
		return false, fmt.Errorf("storing file '%s': %w", path, err)
	}
	// Like libostree, adoption does not count in the transaction stats.
	return t.place(ctx, object.Name{Checksum: c, Type: object.TypeFile}, tmpFile{fd: -1, path: tmp}, size, true)
}

// StoredSize returns the size an existing content object occupies in the
// store (the .filez size in archive repos), looking in staging first.
func (t *Txn) StoredSize(c object.Checksum) (int64, error) {
	p := t.StagedPath(c, object.TypeFile)
	if p == "" {
		x, err := t.r.FindObject(c, object.TypeFile)
		if err != nil {
			return 0, err
		}
		if x == nil {
			return 0, notFound(c, object.TypeFile)
		}
		p = x.ObjectPath(c, object.TypeFile)
	}
	st, err := os.Lstat(p)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// Device is the st_dev of the repository's objects directory, to tell
// whether a file can be renamed into it.
func (r *Repo) Device() (uint64, error) {
	st, err := os.Stat(r.path + "/objects")
	if err != nil {
		return 0, err
	}
	return statDev(st), nil
}

type archiveWriter struct {
	bw  *bufio.Writer
	fw  *flate.Writer
	lvl int
	buf []byte
}

// archiveWriters recycles deflate state: a flate.Writer is large (about
// 800 KiB), and a commit writes thousands of objects. A bounded free list
// rather than a sync.Pool keeps at most one per CPU alive.
var archiveWriters = make(chan *archiveWriter, runtime.NumCPU()+1)

func getArchiveWriter(w io.Writer, level int) (*archiveWriter, error) {
	select {
	case aw := <-archiveWriters:
		if aw.lvl == level {
			aw.bw.Reset(w)
			aw.fw.Reset(aw.bw)
			return aw, nil
		}
	default:
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	fw, err := flate.NewWriter(bw, level)
	if err != nil {
		return nil, err
	}
	return &archiveWriter{bw: bw, fw: fw, lvl: level, buf: make([]byte, 64<<10)}, nil
}

// countingFile counts what is written to a rawFile.
type countingFile struct {
	rawFile
	n int64
}

func (c *countingFile) Write(p []byte) (int, error) {
	n, err := c.rawFile.Write(p)
	c.n += int64(n)
	return n, err
}

func fillArchive(fd int, h *object.FileHeader, size int64, src io.Reader, level int) (int64, error) {
	out := &countingFile{rawFile: rawFile{fd}}
	hdr := object.MarshalArchiveHeader(h, uint64(size))
	if h.IsSymlink() || size < tinyPayload {
		// Small payloads skip the (large) deflate state entirely.
		buf := make([]byte, 0, len(hdr)+int(size)+16)
		buf = append(buf, hdr...)
		if !h.IsSymlink() {
			p := make([]byte, size)
			if src != nil {
				if _, err := io.ReadFull(src, p); err != nil {
					return 0, err
				}
			}
			buf = appendDeflateTiny(buf, p)
		}
		_, err := out.Write(buf)
		return out.n, err
	}
	aw, err := getArchiveWriter(out, level)
	if err != nil {
		return 0, err
	}
	if _, err := aw.bw.Write(hdr); err != nil {
		return 0, err
	}
	if src == nil {
		src = strings.NewReader("")
	}
	if _, err := io.CopyBuffer(aw.fw, src, aw.buf); err != nil {
		return 0, err
	}
	if err := aw.fw.Close(); err != nil {
		return 0, err
	}
	if err := aw.bw.Flush(); err != nil {
		return 0, err
	}
	aw.bw.Reset(nil)
	select {
	case archiveWriters <- aw:
	default:
	}
	return out.n, nil
}

// tinyPayload is the size below which a payload is deflated as one
// final block of literals (fixed Huffman codes, or stored when that is
// smaller), which is what zlib produces for such inputs.
const tinyPayload = 64

// appendDeflateTiny appends a raw DEFLATE stream of p (one final block).
func appendDeflateTiny(dst, p []byte) []byte {
	bits := 3 + 7 // block header and end-of-block code
	for _, c := range p {
		if c < 144 {
			bits += 8
		} else {
			bits += 9
		}
	}
	if (bits+7)/8 > len(p)+5 {
		// Stored block: BFINAL=1, BTYPE=00, aligned LEN and NLEN.
		n := uint16(len(p))
		dst = append(dst, 1, byte(n), byte(n>>8), byte(^n), byte(^n>>8))
		return append(dst, p...)
	}
	var acc uint64
	var nacc uint
	put := func(v uint64, n uint) { // v's low n bits, LSB first
		acc |= v << nacc
		nacc += n
		for nacc >= 8 {
			dst = append(dst, byte(acc))
			acc >>= 8
			nacc -= 8
		}
	}
	code := func(c uint32, n uint) { // Huffman codes are sent MSB first
		var r uint64
		for i := uint(0); i < n; i++ {
			r = r<<1 | uint64(c>>i&1)
		}
		put(r, n)
	}
	put(1|1<<1, 3) // BFINAL=1, BTYPE=01 (fixed Huffman)
	for _, c := range p {
		if c < 144 {
			code(0x30+uint32(c), 8)
		} else {
			code(0x190+uint32(c)-144, 9)
		}
	}
	code(0, 7) // end of block (256)
	if nacc > 0 {
		dst = append(dst, byte(acc))
	}
	return dst
}

// Keep releases the transaction's lock but leaves its staging directory
// in place, as libostree leaves it after a failed commit (the
// OSTREE_REPO_TEST_ERROR=pre-commit hook of the test suite checks it).
func (t *Txn) Keep() {
	if t.dir != "" {
		os.Remove(t.dir + "-lock")
	}
	t.dir = ""
	t.Abort()
}

// bootID names staging directories as libostree does
// (staging-BOOTID-XXXXXX); $OSTREE_BOOTID overrides it for tests.
func bootID() string {
	if id := os.Getenv("OSTREE_BOOTID"); id != "" {
		return id
	}
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// rawFile reads and writes a file descriptor without the os.File machinery
// (poller registration, extra fcntl calls), which matters when a commit
// creates thousands of small files.
type rawFile struct{ fd int }

func (f rawFile) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(f.fd, p)
		if err == unix.EINTR {
			continue
		}
		if n == 0 && err == nil && len(p) > 0 {
			return 0, io.EOF
		}
		if n < 0 {
			n = 0
		}
		return n, err
	}
}

func (f rawFile) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Write(f.fd, p[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

func copyTo(fd int, src io.Reader) error {
	if src == nil {
		return nil
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	_, err := io.CopyBuffer(rawFile{fd}, src, *bp)
	return err
}

// zeroMtime sets the mtime of fd to the epoch (atime untouched), as
// libostree does for bare objects.
func zeroMtime(fd int) error {
	ts := [2]unix.Timespec{{Nsec: unix.UTIME_OMIT}, {}}
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// writeBareSymlink makes a symlink object: a real symlink with, in bare
// repos, the recorded owner and xattrs.
func writeBareSymlink(tmp string, h *object.FileHeader, withOwner bool) error {
	if err := os.Symlink(h.Target, tmp); err != nil {
		return err
	}
	if !withOwner {
		return nil
	}
	if err := os.Lchown(tmp, int(h.UID), int(h.GID)); err != nil {
		return err
	}
	for _, x := range h.Xattrs {
		if err := fsx.Lsetxattr(tmp, x.Name, x.Value); err != nil {
			return err
		}
	}
	return nil
}

func fillBare(fd int, h *object.FileHeader, src io.Reader, withOwner bool) error {
	if err := copyTo(fd, src); err != nil {
		return err
	}
	if withOwner {
		if err := unix.Fchown(fd, int(h.UID), int(h.GID)); err != nil {
			return fmt.Errorf("fchown: %w", err)
		}
		for _, x := range h.Xattrs {
			if err := unix.Fsetxattr(fd, x.Name, x.Value, 0); err != nil {
				return fmt.Errorf("set xattr %s: %w", x.Name, err)
			}
		}
	}
	// chmod after chown, which clears setuid bits.
	if err := unix.Fchmod(fd, h.Mode&0o7777); err != nil {
		return fmt.Errorf("fchmod: %w", err)
	}
	if err := zeroMtime(fd); err != nil {
		return fmt.Errorf("futimens: %w", err)
	}
	return nil
}

func fillBareUser(fd int, h *object.FileHeader, src io.Reader) error {
	perm := h.Mode&0o775 | 0o400
	if h.IsSymlink() {
		perm = 0o644
		if _, err := (rawFile{fd}).Write(append([]byte(h.Target), 0)); err != nil {
			return err
		}
	} else if err := copyTo(fd, src); err != nil {
		return err
	}
	if err := unix.Fsetxattr(fd, "user.ostreemeta", object.MarshalBareUserMeta(h), 0); err != nil {
		return fmt.Errorf("set xattr user.ostreemeta: %w", err)
	}
	if err := unix.Fchmod(fd, perm); err != nil {
		return fmt.Errorf("fchmod: %w", err)
	}
	if err := zeroMtime(fd); err != nil {
		return fmt.Errorf("futimens: %w", err)
	}
	return nil
}

// ReleaseWriters drops the cached deflate writers once no more content
// objects are coming, so their memory can be reused.
func ReleaseWriters() {
	for {
		select {
		case <-archiveWriters:
		default:
			return
		}
	}
}
