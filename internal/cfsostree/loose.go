package cfsostree

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"sort"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/composefs"
	"github.com/gostree/gostree/internal/fsverity"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// looseRepo is a Source whose content objects are loose files at
// ObjectPath (*repo.Repo). Their metadata can then be read by path,
// without opening each object: statx gives the size, the fs-verity
// flag and, in bare and bare-user-only repos, the mode and owner;
// bare-user keeps the header in the user.ostreemeta xattr.
type looseRepo interface {
	Mode() repo.Mode
	ObjectPath(c object.Checksum, t object.Type) string
}

// looseReader is the by-path reading of one repository's objects. An
// object it cannot read as expected (missing, as when it lives in a
// parent repository, or anything odd) is left to Source.LoadFile.
type looseReader struct {
	mode   repo.Mode
	verity Verity
	prefix string // the objects directory, with its trailing slash
	// noVerity is set once a verity ioctl says the objects' filesystem
	// has no fs-verity (tmpfs, say, whose statx does not tell).
	noVerity atomic.Bool
}

// statxMask is what the metadata needs; the mode includes the type.
const statxMask = unix.STATX_TYPE | unix.STATX_MODE | unix.STATX_UID | unix.STATX_GID | unix.STATX_SIZE

// newLooseReader returns nil for the modes it does not read (archive,
// bare-split-xattrs) or a layout other than objects/xx/rest.file.
func newLooseReader(r looseRepo, v Verity) *looseReader {
	switch r.Mode() {
	case repo.ModeBare, repo.ModeBareUser, repo.ModeBareUserOnly:
	default:
		return nil
	}
	var c object.Checksum
	p := r.ObjectPath(c, object.TypeFile)
	prefix, ok := strings.CutSuffix(p, object.LoosePath(c, object.TypeFile, false))
	if !ok || !strings.HasSuffix(prefix, "/") {
		return nil
	}
	l := &looseReader{mode: r.Mode(), verity: v, prefix: prefix}
	if l.path(c, object.TypeFile) != p {
		return nil
	}
	return l
}

// path is ObjectPath(c, t) built in one allocation; a content object's
// payload (object.LoosePath) is its tail.
func (l *looseReader) path(c object.Checksum, t object.Type) string {
	var h [2 * len(c)]byte
	hex.Encode(h[:], c[:])
	suffix := t.String()
	var b strings.Builder
	b.Grow(len(l.prefix) + len(h) + 2 + len(suffix))
	b.WriteString(l.prefix)
	b.Write(h[:2])
	b.WriteByte('/')
	b.Write(h[2:])
	b.WriteByte('.')
	b.WriteString(suffix)
	return b.String()
}

// maxDirTree bounds what dirTree reads; a larger object is left to
// LoadDirTree and its limit.
const maxDirTree = 1 << 20

// dirTree reads and parses a dirtree with one open, reads into buf
// (kept for the next) and a close: LoadDirTree makes about twice as
// many system calls, and a deploy reads every dirtree twice (checkout
// and image).
func (l *looseReader) dirTree(c object.Checksum, buf *[]byte) (object.DirTree, bool) {
	fd, err := unix.Open(l.path(c, object.TypeDirTree), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return object.DirTree{}, false
	}
	defer unix.Close(fd)
	if *buf == nil {
		*buf = make([]byte, 64<<10)
	}
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			if cap(b) >= maxDirTree {
				return object.DirTree{}, false
			}
			b = append(b, 0)[:len(b)]
		}
		k, err := unix.Read(fd, b[len(b):cap(b)])
		if err != nil {
			return object.DirTree{}, false
		}
		if k == 0 {
			break
		}
		b = b[:len(b)+k]
	}
	*buf = b
	dt, err := object.UnmarshalDirTree(b)
	return dt, err == nil
}

// scratch is one worker's buffers, each as large as the kernel's limit
// (XATTR_LIST_MAX, XATTR_SIZE_MAX) so that no call fails with ERANGE.
type scratch struct {
	names []byte
	value []byte
}

func newScratch() *scratch {
	return &scratch{names: make([]byte, 64<<10), value: make([]byte, 64<<10)}
}

// fileNode is builder.fileNode for an object of this repository; false
// when it should be read through LoadFile instead.
func (l *looseReader) fileNode(c object.Checksum, s *scratch) (*composefs.Node, bool) {
	p := l.path(c, object.TypeFile)
	var st unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, p, unix.AT_SYMLINK_NOFOLLOW, statxMask, &st); err != nil || st.Mask&statxMask != statxMask {
		return nil, false
	}
	n := &composefs.Node{Nlink: 1}
	var target string
	var ok bool
	switch l.mode {
	case repo.ModeBareUser:
		// The object is a regular file; its header is in the xattr,
		// a symlink's target is its content.
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			return nil, false
		}
		sz, err := unix.Lgetxattr(p, "user.ostreemeta", s.value)
		if err != nil {
			return nil, false
		}
		h, err := object.UnmarshalBareUserMeta(s.value[:sz])
		if err != nil {
			return nil, false
		}
		n.Mode, n.UID, n.GID, n.Xattrs = h.Mode, h.UID, h.GID, xattrs(h.Xattrs)
		if h.IsSymlink() {
			if target, ok = readTarget(p, st.Size); !ok {
				return nil, false
			}
		}
	default:
		n.Mode = uint32(st.Mode)
		if l.mode == repo.ModeBare {
			n.UID, n.GID = st.Uid, st.Gid
			if n.Xattrs, ok = s.lxattrs(p); !ok {
				return nil, false
			}
		}
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			if target, ok = readlink(p, st.Size); !ok {
				return nil, false
			}
		}
	}
	switch n.Type() {
	case composefs.TypeSymlink:
		n.SetPayload(target)
		n.Size = uint64(len(target))
		return n, true
	case composefs.TypeRegular:
	default:
		return nil, false // LoadFile's error names the mode
	}
	n.Size = st.Size
	if n.Size == 0 {
		return n, true
	}
	n.SetPayload(p[len(l.prefix):])
	return n, l.digest(n, c, p, &st)
}

// digest sets n's fs-verity digest as l.verity asks: measured when the
// object has fs-verity (statx says whether, where the filesystem can
// have it), computed from the content when required.
func (l *looseReader) digest(n *composefs.Node, c object.Checksum, p string, st *unix.Statx_t) bool {
	if l.verity == VerityNone {
		return true
	}
	known := st.Attributes_mask&unix.STATX_ATTR_VERITY != 0
	measure := st.Attributes&unix.STATX_ATTR_VERITY != 0 || !known && !l.noVerity.Load()
	if !measure && l.verity != VerityRequired {
		return true
	}
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	if measure {
		d, err := fsverity.Measure(f)
		if err == nil {
			n.Digest = &d
			return true
		}
		if errors.Is(err, fsverity.ErrNotSupported) {
			l.noVerity.Store(true)
		}
	}
	if l.verity != VerityRequired {
		return true
	}
	return computeDigest(n, c, f, int64(n.Size)) == nil
}

// lxattrs reads all of p's xattrs as LoadFile does for a bare object:
// sorted by name, empty values dropped.
func (s *scratch) lxattrs(p string) ([]composefs.Xattr, bool) {
	sz, err := unix.Llistxattr(p, s.names)
	if errors.Is(err, unix.ENOTSUP) {
		return nil, true
	}
	if err != nil {
		return nil, false
	}
	var out []composefs.Xattr
	for names := s.names[:sz]; len(names) > 0; {
		name := names
		if i := bytes.IndexByte(names, 0); i >= 0 {
			name, names = names[:i], names[i+1:]
		} else {
			names = nil
		}
		if len(name) == 0 {
			continue
		}
		key := string(name)
		vs, err := unix.Lgetxattr(p, key, s.value)
		if err != nil {
			return nil, false
		}
		if vs > 0 {
			out = append(out, composefs.Xattr{Key: key, Value: append([]byte(nil), s.value[:vs]...)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, true
}

// readTarget reads a bare-user symlink object's content (the target,
// perhaps NUL-terminated) of size bytes.
func readTarget(p string, size uint64) (string, bool) {
	if size > 1<<16 {
		return "", false
	}
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return "", false
	}
	defer unix.Close(fd)
	b := make([]byte, size)
	for got := 0; got < len(b); {
		k, err := unix.Read(fd, b[got:])
		if err != nil || k == 0 {
			return "", false
		}
		got += k
	}
	return strings.TrimSuffix(string(b), "\x00"), true
}

// readlink reads a symlink whose lstat size is size.
func readlink(p string, size uint64) (string, bool) {
	if size > 1<<16 {
		return "", false
	}
	b := make([]byte, size+1)
	k, err := unix.Readlink(p, b)
	if err != nil || k > int(size) {
		return "", false
	}
	return string(b[:k]), true
}
