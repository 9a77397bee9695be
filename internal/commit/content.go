package commit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/object"
)

// smallFile is the size up to which a file is read into memory once,
// then hashed, checked for existence and written from the buffer. Larger
// files are hashed in a first pass and copied in a second only when the
// object is new.
const smallFile = 128 << 10

// bufPool holds smallFile-sized buffers. It is a bounded free list rather
// than a sync.Pool so that few buffers stay alive (peak RSS matters).
var bufPool = newFreeList(2*runtime.NumCPU()+2, smallFile)

type freeList struct {
	c    chan *[]byte
	size int
}

func newFreeList(n, size int) *freeList { return &freeList{c: make(chan *[]byte, n), size: size} }

// Get returns a buffer of the list's size.
func (l *freeList) Get() any {
	select {
	case b := <-l.c:
		return b
	default:
		b := make([]byte, l.size)
		return &b
	}
}

// drain drops the pooled buffers.
func (l *freeList) drain() {
	for {
		select {
		case <-l.c:
		default:
			return
		}
	}
}

// Put returns a buffer; extra buffers are dropped.
func (l *freeList) Put(b *[]byte) {
	select {
	case l.c <- b:
	default:
	}
}

// readXattrs reads the xattrs of path (not following symlinks) in
// canonical order, without empty values.
func readXattrs(path string) (object.Xattrs, error) {
	list, err := fsx.Lxattrs(path)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, nil
	}
	x := make(object.Xattrs, 0, len(list))
	for _, a := range list {
		x = append(x, object.Xattr{Name: a[0], Value: []byte(a[1])})
	}
	return x.Canonical(), nil
}

// pathJob is a file from a directory source to store.
type pathJob struct {
	ref        *fileRef
	path       string // path to open
	rel        string // path within the commit, for errors
	fi         FileInfo
	xattrs     object.Xattrs
	readXattrs bool // read xattrs from path (else use xattrs)
	adopt      bool // --consume into a bare repo: rename instead of copy
}

// storePath hashes and stores a file from the filesystem.
func (b *Builder) storePath(ctx context.Context, j *pathJob) error {
	x := j.xattrs
	if j.readXattrs {
		var err error
		if x, err = readXattrs(j.path); err != nil {
			return fmt.Errorf("%s: %w", j.rel, err)
		}
	}
	h := j.fi.header(x)
	if j.fi.isLink() {
		return b.storeBytes(ctx, j.ref, h, nil)
	}
	fd, err := unix.Open(j.path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", j.rel, err)
	}
	defer unix.Close(fd)
	f := fsx.FDReader{FD: fd}
	size := j.fi.Size
	if size <= smallFile && !j.adopt {
		bp := bufPool.Get().(*[]byte)
		defer bufPool.Put(bp)
		buf := (*bp)[:size]
		if _, err := io.ReadFull(f, buf); err != nil {
			return fmt.Errorf("reading %s: %w", j.rel, err)
		}
		return b.storeBytes(ctx, j.ref, h, buf)
	}
	d := object.NewFileHasher(h)
	bp := bufPool.Get().(*[]byte)
	n, err := io.CopyBuffer(d, io.LimitReader(f, size), *bp)
	bufPool.Put(bp)
	if err != nil {
		return fmt.Errorf("reading %s: %w", j.rel, err)
	}
	if n != size {
		return fmt.Errorf("reading %s: file changed size while committing", j.rel)
	}
	c := object.HashSum(d)
	j.ref.csum = c
	if j.adopt {
		_, err := b.txn.AdoptFile(ctx, c, j.path, size, h.Mode)
		return err
	}
	if _, err := unix.Seek(fd, 0, io.SeekStart); err != nil {
		return err
	}
	return b.storeChecked(ctx, c, h, size, io.LimitReader(f, size))
}

// storeBytes hashes and stores a content object held in memory (nil
// payload for symlinks).
func (b *Builder) storeBytes(ctx context.Context, ref *fileRef, h *object.FileHeader, payload []byte) error {
	hdr := object.MarshalFileHeader(h)
	d := sha256.New()
	d.Write(hdr)
	d.Write(payload)
	var c object.Checksum
	d.Sum(c[:0])
	ref.csum = c
	return b.storeChecked(ctx, c, h, int64(len(payload)), bytes.NewReader(payload))
}

// storeChecked stores the object c unless it already exists.
func (b *Builder) storeChecked(ctx context.Context, c object.Checksum, h *object.FileHeader, size int64, payload io.Reader) error {
	b.mu.Lock()
	b.stats.ContentTotal++
	b.mu.Unlock()
	unpacked := size
	if h.IsSymlink() {
		unpacked = int64(len(h.Target))
	}
	exists, err := b.txn.HasObject(ctx, c, object.TypeFile)
	if err != nil {
		return err
	}
	if exists {
		if b.generatingSizes() {
			stored, err := b.txn.StoredSize(c)
			if err != nil {
				return err
			}
			b.recordSize(c, object.TypeFile, stored, unpacked)
		}
		return nil
	}
	_, stored, err := b.txn.WriteTrustedFile(ctx, c, h, size, payload)
	if err != nil {
		return err
	}
	b.recordSize(c, object.TypeFile, stored, unpacked)
	return nil
}

// storeStream stores a content object read once from r (archives whose
// entries are too large to buffer): it is hashed while written.
func (b *Builder) storeStream(ctx context.Context, h *object.FileHeader, size int64, r io.Reader) (object.Checksum, error) {
	b.mu.Lock()
	b.stats.ContentTotal++
	b.mu.Unlock()
	c, written, stored, err := b.txn.WriteFileStream(ctx, h, size, r)
	if err != nil {
		return c, err
	}
	if !written && b.generatingSizes() {
		if stored, err = b.txn.StoredSize(c); err != nil {
			return c, err
		}
	}
	b.recordSize(c, object.TypeFile, stored, size)
	return c, nil
}

// storeFromRepo re-stores an object of this repo with a new header (a
// commit taken from a ref, through a modifier). When the header is
// unchanged the checksum is too, and nothing is read.
func (b *Builder) storeFromRepo(ctx context.Context, ref *fileRef, src object.Checksum, h *object.FileHeader, orig *object.FileHeader) error {
	if headersEqual(h, orig) {
		ref.csum = src
		b.mu.Lock()
		b.stats.ContentTotal++
		b.mu.Unlock()
		if b.generatingSizes() {
			stored, err := b.txn.StoredSize(src)
			if err != nil {
				return err
			}
			size, err := b.unpackedSize(ctx, src)
			if err != nil {
				return err
			}
			b.recordSize(src, object.TypeFile, stored, size)
		}
		return nil
	}
	_, rc, size, err := b.repo.LoadFile(ctx, src)
	if err != nil {
		return err
	}
	defer rc.Close()
	if h.IsSymlink() {
		return b.storeBytes(ctx, ref, h, nil)
	}
	if size <= smallFile {
		bp := bufPool.Get().(*[]byte)
		defer bufPool.Put(bp)
		buf := (*bp)[:size]
		if _, err := io.ReadFull(rc, buf); err != nil {
			return fmt.Errorf("reading object %s: %w", src, err)
		}
		return b.storeBytes(ctx, ref, h, buf)
	}
	c, err := b.storeStream(ctx, h, size, rc)
	ref.csum = c
	return err
}

// unpackedSize is what ostree.sizes records as a content object's
// unpacked size: the payload size, or a symlink's target length.
func (b *Builder) unpackedSize(ctx context.Context, c object.Checksum) (int64, error) {
	h, rc, size, err := b.repo.LoadFile(ctx, c)
	if err != nil {
		return 0, err
	}
	rc.Close()
	if h.IsSymlink() {
		size = int64(len(h.Target))
	}
	return size, nil
}

func headersEqual(a, b *object.FileHeader) bool {
	return a.UID == b.UID && a.GID == b.GID && a.Mode == b.Mode && a.Rdev == b.Rdev &&
		a.Target == b.Target && a.Xattrs.Equal(b.Xattrs)
}
