package checkout

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// fileInfo is what deciding between a hard link and a copy needs to know
// about a content object.
type fileInfo struct {
	mode    uint32 // st_mode as the object header records it
	size    int64
	symlink bool
	// full is set when the whole object was already opened (archive
	// repositories): the copy reuses it.
	full    *object.FileHeader
	payload io.ReadCloser
	// src, srcFd and srcName locate the object in a bare-mode
	// repository of the chain (srcFd is its objects/XX directory).
	src     *source
	srcFd   int
	srcName string
}

func (fi *fileInfo) close() {
	if fi.payload != nil {
		fi.payload.Close()
		fi.payload = nil
	}
}

func looseFile(c object.Checksum) string {
	return object.LoosePath(c, object.TypeFile, false)
}

// statObject finds the object in the parent chain and describes it as
// cheaply as its repository's mode allows: one lstat for bare modes, an
// lstat and one xattr read for bare-user, the whole header otherwise.
func (c *checkouter) statObject(csum object.Checksum) (*fileInfo, error) {
	name := objectName(csum, "file")
	for _, s := range c.chain {
		switch s.mode {
		case repo.ModeBare, repo.ModeBareUserOnly, repo.ModeBareUser:
			dfd, err := s.dirs.dir(csum[0])
			if err != nil {
				return nil, err
			}
			if dfd < 0 {
				continue
			}
			var st unix.Stat_t
			err = unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("Opening content object %s: %w", csum, sysErr(err))
			}
			fi := &fileInfo{mode: st.Mode, size: st.Size, symlink: st.Mode&unix.S_IFMT == unix.S_IFLNK, src: s, srcFd: dfd, srcName: name}
			if s.mode == repo.ModeBareUser {
				meta, err := fsx.Lgetxattr(s.objDir+"/"+looseFile(csum), "user.ostreemeta")
				if err != nil {
					return nil, fmt.Errorf("Opening content object %s: %w", csum, sysErr(err))
				}
				h, err := object.UnmarshalBareUserMeta(meta)
				if err != nil {
					return nil, fmt.Errorf("Opening content object %s: %w: %v", csum, errdefs.ErrCorrupt, err)
				}
				fi.mode = h.Mode
				fi.symlink = h.IsSymlink()
			}
			if fi.symlink {
				fi.size = 0
			}
			return fi, nil
		default:
			has, err := s.r.HasObject(c.ctx, csum, object.TypeFile)
			if err != nil {
				return nil, err
			}
			if !has {
				continue
			}
			h, rc, size, err := c.r.LoadFile(c.ctx, csum)
			if err != nil {
				return nil, fmt.Errorf("Opening content object %s: %w", csum, err)
			}
			return &fileInfo{mode: h.Mode, size: size, symlink: h.IsSymlink(), full: h, payload: rc}, nil
		}
	}
	return nil, fmt.Errorf("Opening content object %s: Couldn't find file object '%s': %w", csum, csum, errdefs.ErrNotFound)
}

type linkResult int

const (
	linkNotSupported linkResult = iota
	linkSkipExisted
	linkLinked
)

// checkoutFile checks out one content object as name below dfd; path is
// its path relative to the checkout root, for the skip list.
func (c *checkouter) checkoutFile(dfd int, name, path string, csum object.Checksum) error {
	// Validate up front: a dirtree must not steer writes elsewhere.
	if err := checkName(name); err != nil {
		return fmt.Errorf("checking out %s: %w", path, sysErr(err))
	}
	fi, err := c.statObject(csum)
	if err != nil {
		return err
	}
	defer fi.close()
	if c.opts.Skip != nil && c.opts.Skip(path) {
		return nil
	}

	unreadable := !fi.symlink && fi.mode&unix.S_IRUSR == 0
	zeroSized := !fi.symlink && fi.size == 0
	overrideUnreadable := c.user && unreadable
	isWhiteout := !fi.symlink && c.opts.Whiteouts && strings.HasPrefix(name, whiteoutPrefix)
	isOverlayWhiteout := !fi.symlink && strings.HasPrefix(name, overlayWhiteoutPrefix)

	needCopy := true
	switch {
	case isWhiteout:
		target := name[len(whiteoutPrefix):]
		if target == "" {
			return fmt.Errorf("Invalid empty whiteout '%s'", target)
		}
		if err := checkName(target); err != nil {
			return fmt.Errorf("checking out whiteout %s: %w", path, sysErr(err))
		}
		if err := rmrfAt(dfd, target); err != nil {
			return err
		}
		return nil
	case isOverlayWhiteout && c.opts.PassthroughWhiteouts:
		target := name[len(overlayWhiteoutPrefix):]
		if target == "" {
			return fmt.Errorf("Invalid empty overlayfs whiteout '%s'", target)
		}
		if err := checkName(target); err != nil {
			return fmt.Errorf("checking out whiteout %s: %w", path, sysErr(err))
		}
		h, err := c.header(csum, fi)
		if err != nil {
			return err
		}
		return c.overlayWhiteout(dfd, target, h)
	case zeroSized || overrideUnreadable:
		// Always copied: this avoids EMLINK on the shared empty object.
	case !c.opts.ForceCopy:
		res, err := c.hardlinkFromChain(csum, fi, dfd, name)
		if err != nil {
			return err
		}
		needCopy = res == linkNotSupported
	}

	if needCopy && c.cache != nil && !fi.symlink && !zeroSized && !overrideUnreadable {
		res, err := c.hardlinkFromCache(csum, fi, dfd, name)
		if err != nil {
			return err
		}
		needCopy = res == linkNotSupported
	}
	if !needCopy {
		return nil
	}
	h, err := c.header(csum, fi)
	if err != nil {
		return err
	}
	if overrideUnreadable {
		hh := *h
		hh.Mode |= unix.S_IRUSR
		h = &hh
	}
	payload := fi.payload
	fi.payload = nil
	if payload != nil {
		defer payload.Close()
	}
	if err := c.copyFile(csum, h, payload, dfd, name); err != nil {
		return fmt.Errorf("Copy checkout of %s to %s: %w", csum, name, sysErr(err))
	}
	return nil
}

// header returns the object's full header, and opens its payload when
// fi does not carry it yet.
func (c *checkouter) header(csum object.Checksum, fi *fileInfo) (*object.FileHeader, error) {
	if fi.full != nil {
		return fi.full, nil
	}
	if fi.src != nil && (fi.src.mode == repo.ModeBare || fi.src.mode == repo.ModeBareUserOnly) {
		h, f, err := openBareObject(fi.src, fi.srcFd, fi.srcName)
		if err != nil {
			return nil, fmt.Errorf("Opening content object %s: %w", csum, sysErr(err))
		}
		fi.full = h
		if f != nil {
			fi.payload = f
		}
		return h, nil
	}
	h, rc, _, err := c.r.LoadFile(c.ctx, csum)
	if err != nil {
		return nil, fmt.Errorf("Opening content object %s: %w", csum, sysErr(err))
	}
	fi.full, fi.payload = h, rc
	return h, nil
}

// openBareObject reads a bare or bare-user-only object's header from the
// file itself, as the repository does, and opens its payload (nil for a
// symlink).
func openBareObject(s *source, dfd int, name string) (*object.FileHeader, *os.File, error) {
	fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ELOOP) {
		var st unix.Stat_t
		if err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return nil, nil, err
		}
		target, err := readlinkAt(dfd, name)
		if err != nil {
			return nil, nil, err
		}
		h := &object.FileHeader{UID: st.Uid, GID: st.Gid, Mode: st.Mode, Target: target}
		if s.mode == repo.ModeBare {
			if h.Xattrs, err = readXattrsAt(dfd, name); err != nil {
				return nil, nil, err
			}
		} else {
			h.UID, h.GID = 0, 0
		}
		return h, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	f := os.NewFile(uintptr(fd), name)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, nil, err
	}
	h := &object.FileHeader{UID: st.Uid, GID: st.Gid, Mode: st.Mode}
	if s.mode == repo.ModeBare {
		if h.Xattrs, err = readXattrsFd(fd); err != nil {
			f.Close()
			return nil, nil, err
		}
	} else {
		h.UID, h.GID = 0, 0
	}
	return h, f, nil
}

// hardlinkFromChain links the object from the first repository of the
// parent chain whose mode matches the checkout mode.
func (c *checkouter) hardlinkFromChain(csum object.Checksum, fi *fileInfo, dfd int, name string) (linkResult, error) {
	for _, s := range c.chain {
		repoIsUser := s.mode == repo.ModeBareUser || s.mode == repo.ModeBareUserOnly
		hardlinkable := (s.mode == repo.ModeBare && !c.user) || (repoIsUser && c.user)
		// bare-user stores symlinks as regular files: always copied.
		bareUserSymlink := repoIsUser && fi.symlink
		if c.opts.RequireHardlinks && !hardlinkable && !bareUserSymlink {
			if repoIsUser {
				return 0, fmt.Errorf("User repository mode requires user checkout mode to hardlink")
			}
			return 0, fmt.Errorf("Bare repository mode cannot hardlink in user checkout mode")
		}
		if !hardlinkable || bareUserSymlink {
			continue
		}
		srcFd, srcName := fi.srcFd, fi.srcName
		if fi.src != s {
			srcFd, srcName = s.objFd, looseFile(csum)
		}
		res, err := c.hardlink(s, srcFd, srcName, csum, dfd, name, true)
		if err != nil || res != linkNotSupported {
			return res, err
		}
	}
	return linkNotSupported, nil
}

// hardlink links srcFd/LOOSE to dfd/name, resolving a clash as the
// overwrite mode says.
func (c *checkouter) hardlink(s *source, srcFd int, srcName string, csum object.Checksum, dfd int, name string, allowNoent bool) (linkResult, error) {
	loose := looseFile(csum)
	err := unix.Linkat(srcFd, srcName, dfd, name, 0)
	switch {
	case err == nil:
		return linkLinked, nil
	case !c.opts.RequireHardlinks && (errors.Is(err, unix.EMLINK) || errors.Is(err, unix.EXDEV) || errors.Is(err, unix.EPERM)):
		return linkNotSupported, nil
	case allowNoent && errors.Is(err, unix.ENOENT):
		return linkNotSupported, nil
	case !errors.Is(err, unix.EEXIST):
		return 0, fmt.Errorf("Hardlinking %s to %s: %w", loose, name, sysErr(err))
	}
	switch c.opts.Overwrite {
	case OverwriteAddFiles:
		return linkSkipExisted, nil
	case OverwriteUnionFiles, OverwriteUnionIdentical:
		var src, dst unix.Stat_t
		if err := unix.Fstatat(srcFd, srcName, &src, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return 0, fmt.Errorf("fstatat(%s): %w", loose, sysErr(err))
		}
		if err := unix.Fstatat(dfd, name, &dst, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return 0, fmt.Errorf("fstatat(%s): %w", name, sysErr(err))
		}
		identical := src.Dev == dst.Dev && src.Ino == dst.Ino
		if !identical && statEqual(&src, &dst) {
			// Last resort: compare checksums.
			got, err := checksumAt(dfd, name, &dst, c.checksumFlags())
			if err != nil {
				return 0, err
			}
			identical = got == csum
		}
		if identical {
			return linkSkipExisted, nil
		}
		if c.opts.Overwrite == OverwriteUnionIdentical {
			return 0, fmt.Errorf("Hardlinking %s to %s: %w", loose, name, sysErr(unix.EEXIST))
		}
		return linkLinked, c.replaceWithLink(s, srcFd, srcName, dfd, name)
	default:
		return 0, fmt.Errorf("Hardlinking %s to %s: %w", loose, name, sysErr(unix.EEXIST))
	}
}

// replaceWithLink atomically replaces dfd/name with a hard link to the
// object: link under a temporary name in the repo's tmp/, then rename.
func (c *checkouter) replaceWithLink(s *source, srcFd int, srcName string, dfd int, name string) error {
	tmpFd, err := s.tmpDir()
	if err != nil {
		return err
	}
	var tmp string
	for i := 0; ; i++ {
		if i == 128 {
			return fmt.Errorf("Exhausted attempts to make temporary hardlink")
		}
		tmp = randomName(checkoutUnionTmpPrefix)
		err := unix.Linkat(srcFd, srcName, tmpFd, tmp, 0)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("linkat: %w", sysErr(err))
		}
	}
	if c.opts.Whiteouts {
		// Docker semantics: a file may replace a whole directory.
		if err := rmrfAt(dfd, name); err != nil {
			_ = unix.Unlinkat(tmpFd, tmp, 0)
			return err
		}
	}
	if err := unix.Renameat(tmpFd, tmp, dfd, name); err != nil {
		_ = unix.Unlinkat(tmpFd, tmp, 0)
		return fmt.Errorf("renameat(%s): %w", name, sysErr(err))
	}
	return nil
}

// statEqual is libostree's _ostree_stbuf_equal.
func statEqual(a, b *unix.Stat_t) bool {
	if a.Mode != b.Mode {
		return false
	}
	if a.Mode&unix.S_IFMT == unix.S_IFREG && a.Size != b.Size {
		return false
	}
	return a.Uid == b.Uid && a.Gid == b.Gid
}

func (c *checkouter) checksumFlags() checksumFlags {
	var f checksumFlags
	if c.r.ConfigBool("disable-xattrs", false) || c.r.Mode() == repo.ModeBareUserOnly {
		f.ignoreXattrs = true
	}
	if c.r.Mode() == repo.ModeBareUserOnly {
		f.canonicalPerms = true
	}
	return f
}
