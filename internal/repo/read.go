package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/object"
	"golang.org/x/sys/unix"
)

// maxMetadataSize bounds metadata objects as libostree does.
const maxMetadataSize = 10 << 20

// ObjectPath is the absolute path where this repo (not its parent)
// stores the object as a loose file.
func (r *Repo) ObjectPath(c object.Checksum, t object.Type) string {
	return filepath.Join(r.path, "objects", object.LoosePath(c, t, r.mode.IsArchive()))
}

// FindObject returns the repo in the parent chain that holds the object,
// or nil.
func (r *Repo) FindObject(c object.Checksum, t object.Type) (*Repo, error) {
	var st unix.Stat_t
	for x := r; x != nil; x = x.parent {
		dir, rel := x.objectAt(c, t)
		err := unix.Fstatat(dir, rel, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == nil {
			return x, nil
		}
		if err != unix.ENOENT {
			return nil, &fs.PathError{Op: "lstat", Path: x.ObjectPath(c, t), Err: err}
		}
	}
	return nil, nil
}

// HasObject reports whether the object is stored here or in a parent.
func (r *Repo) HasObject(ctx context.Context, c object.Checksum, t object.Type) (bool, error) {
	x, err := r.FindObject(c, t)
	return x != nil, err
}

// notFound words the error as libostree does; scripts grep for it.
func notFound(c object.Checksum, t object.Type) error {
	if t == object.TypeFile {
		return fmt.Errorf("Couldn't find file object '%s': %w", c, errdefs.ErrNotFound)
	}
	return fmt.Errorf("No such metadata object %s.%s: %w", c, t, errdefs.ErrNotFound)
}

// LoadMetadata reads the raw bytes of a metadata object.
func (r *Repo) LoadMetadata(ctx context.Context, c object.Checksum, t object.Type) ([]byte, error) {
	// Opened straight away, relative to objects/, without a stat first:
	// walks read thousands of dirtrees.
	for x := r; x != nil; x = x.parent {
		dir, rel := x.objectAt(c, t)
		fd, err := unix.Openat(dir, rel, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == unix.ENOENT {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load %s.%s: %w", c, t, &fs.PathError{Op: "open", Path: x.ObjectPath(c, t), Err: err})
		}
		defer unix.Close(fd)
		return readMetadataFD(fd, c, t)
	}
	return nil, notFound(c, t)
}

// readMetadataFile reads the metadata object c.t stored at p.
func readMetadataFile(p string, c object.Checksum, t object.Type) ([]byte, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("load %s.%s: %w", c, t, &fs.PathError{Op: "open", Path: p, Err: err})
	}
	defer unix.Close(fd)
	return readMetadataFD(fd, c, t)
}

// readMetadataFD reads a whole metadata object from fd into a buffer
// sized by fstat (one byte more, so that the final read sees the end).
func readMetadataFD(fd int, c object.Checksum, t object.Type) ([]byte, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("load %s.%s: %w", c, t, err)
	}
	// Not bytes.Buffer.ReadFrom: it grows the buffer before the read that
	// finds the end.
	b := make([]byte, 0, min(st.Size, maxMetadataSize)+1)
	r := io.LimitReader(rawFile{fd}, maxMetadataSize+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // the file grew since fstat
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("load %s.%s: %w", c, t, err)
		}
	}
	if len(b) > maxMetadataSize {
		return nil, fmt.Errorf("metadata object %s.%s is larger than %d bytes: %w", c, t, maxMetadataSize, errdefs.ErrCorrupt)
	}
	return b, nil
}

// LoadCommit reads and parses a commit.
func (r *Repo) LoadCommit(ctx context.Context, c object.Checksum) (*object.Commit, error) {
	b, err := r.LoadMetadata(ctx, c, object.TypeCommit)
	if err != nil {
		return nil, err
	}
	cm, err := object.UnmarshalCommit(b)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w: %v", c, errdefs.ErrCorrupt, err)
	}
	return cm, nil
}

// LoadDirTree reads and parses a dirtree.
func (r *Repo) LoadDirTree(ctx context.Context, c object.Checksum) (object.DirTree, error) {
	return parseDirTree(c)(r.LoadMetadata(ctx, c, object.TypeDirTree))
}

// parseDirTree returns a parser of dirtree c's bytes that passes a load
// error through.
func parseDirTree(c object.Checksum) func([]byte, error) (object.DirTree, error) {
	return func(b []byte, err error) (object.DirTree, error) {
		if err != nil {
			return object.DirTree{}, err
		}
		t, err := object.UnmarshalDirTree(b)
		if err != nil {
			return object.DirTree{}, fmt.Errorf("dirtree %s: %w: %v", c, errdefs.ErrCorrupt, err)
		}
		return t, nil
	}
}

// LoadDirMeta reads and parses a dirmeta.
func (r *Repo) LoadDirMeta(ctx context.Context, c object.Checksum) (object.DirMeta, error) {
	return parseDirMeta(c)(r.LoadMetadata(ctx, c, object.TypeDirMeta))
}

// parseDirMeta is parseDirTree for dirmeta objects.
func parseDirMeta(c object.Checksum) func([]byte, error) (object.DirMeta, error) {
	return func(b []byte, err error) (object.DirMeta, error) {
		if err != nil {
			return object.DirMeta{}, err
		}
		m, err := object.UnmarshalDirMeta(b)
		if err != nil {
			return object.DirMeta{}, fmt.Errorf("dirmeta %s: %w: %v", c, errdefs.ErrCorrupt, err)
		}
		return m, nil
	}
}

// LoadDetachedMetadata reads a commit's detached metadata; nil, nil
// when it has none.
func (r *Repo) LoadDetachedMetadata(ctx context.Context, c object.Checksum) (object.Metadata, error) {
	b, err := r.LoadMetadata(ctx, c, object.TypeCommitMeta)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	md, err := object.UnmarshalMetadata(b)
	if err != nil {
		return nil, fmt.Errorf("commitmeta %s: %w: %v", c, errdefs.ErrCorrupt, err)
	}
	return md, nil
}

// LoadFile opens a content object: its header and its payload (empty
// for symlinks). Size is the payload's size.
func (r *Repo) LoadFile(ctx context.Context, c object.Checksum) (*object.FileHeader, io.ReadCloser, int64, error) {
	x, err := r.FindObject(c, object.TypeFile)
	if err != nil {
		return nil, nil, 0, err
	}
	if x == nil {
		return nil, nil, 0, notFound(c, object.TypeFile)
	}
	h, rc, size, err := x.loadLocalFile(c)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("load file %s: %w", c, err)
	}
	return h, rc, size, nil
}

func (r *Repo) loadLocalFile(c object.Checksum) (*object.FileHeader, io.ReadCloser, int64, error) {
	return r.loadFileAt(r.ObjectPath(c, object.TypeFile))
}

// loadFileAt opens the content object stored at p in this repo's mode.
func (r *Repo) loadFileAt(p string) (*object.FileHeader, io.ReadCloser, int64, error) {
	switch r.mode {
	case ModeArchive:
		// A raw descriptor: os.File would register each of thousands of
		// short-lived files with the poller (fcntl, epoll_ctl) first.
		fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, nil, 0, &fs.PathError{Op: "open", Path: p, Err: err}
		}
		h, size, payload, err := object.OpenArchive(rawFile{fd})
		if err != nil {
			unix.Close(fd)
			return nil, nil, 0, fmt.Errorf("%w: %v", errdefs.ErrCorrupt, err)
		}
		return h, payloadCloser{payload, fd}, int64(size), nil
	case ModeBareUser:
		f, err := os.Open(p)
		if err != nil {
			return nil, nil, 0, err
		}
		meta, err := fsx.Fgetxattr(f, "user.ostreemeta")
		if err != nil {
			f.Close()
			return nil, nil, 0, fmt.Errorf("%w: reading user.ostreemeta: %v", errdefs.ErrCorrupt, err)
		}
		h, err := object.UnmarshalBareUserMeta(meta)
		if err != nil {
			f.Close()
			return nil, nil, 0, fmt.Errorf("%w: %v", errdefs.ErrCorrupt, err)
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, nil, 0, err
		}
		if h.IsSymlink() {
			defer f.Close()
			b, err := io.ReadAll(io.LimitReader(f, 1<<16))
			if err != nil {
				return nil, nil, 0, err
			}
			h.Target = string(bytes.TrimSuffix(b, []byte{0}))
			return h, io.NopCloser(bytes.NewReader(nil)), 0, nil
		}
		return h, f, st.Size(), nil
	default:
		st, err := os.Lstat(p)
		if err != nil {
			return nil, nil, 0, err
		}
		h := &object.FileHeader{Mode: uint32(st.Mode().Perm())}
		h.UID, h.GID, h.Mode = statOwner(st)
		if r.mode == ModeBare {
			xa, err := fsx.Lxattrs(p)
			if err != nil {
				return nil, nil, 0, err
			}
			for _, a := range xa {
				h.Xattrs = append(h.Xattrs, object.Xattr{Name: a[0], Value: []byte(a[1])})
			}
			h.Xattrs = h.Xattrs.Canonical()
		} else {
			h.UID, h.GID = 0, 0
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			if h.Target, err = os.Readlink(p); err != nil {
				return nil, nil, 0, err
			}
			return h, io.NopCloser(bytes.NewReader(nil)), 0, nil
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, nil, 0, err
		}
		return h, f, st.Size(), nil
	}
}

// payloadCloser is a .filez payload whose inflater goes back to the
// pool when the file is closed.
type payloadCloser struct {
	*object.Payload
	fd int
}

func (p payloadCloser) Close() error {
	p.Release()
	return unix.Close(p.fd)
}

type readCloser struct {
	io.Reader
	io.Closer
}
