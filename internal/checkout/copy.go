package checkout

import (
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/object"
)

// copyFile writes the object as a new file or symlink dfd/name.
func (c *checkouter) copyFile(csum object.Checksum, h *object.FileHeader, payload io.Reader, dfd int, name string) error {
	if h.IsSymlink() {
		return c.copySymlink(h, dfd, name)
	}
	t, err := openTmpFile(dfd)
	if err != nil {
		return err
	}
	defer t.discard()
	if payload != nil {
		if _, err := io.Copy(t.f, payload); err != nil {
			return fmt.Errorf("regfile copy: %w", sysErr(err))
		}
	}
	fd := int(t.f.Fd())
	if !c.user {
		if err := unix.Fchown(fd, int(h.UID), int(h.GID)); err != nil {
			return fmt.Errorf("fchown: %w", sysErr(err))
		}
		if err := setXattrsFd(fd, h.Xattrs); err != nil {
			return err
		}
	}
	mode := h.Mode
	if c.user {
		// Never create setuid files in user mode.
		mode &^= unix.S_ISUID | unix.S_ISGID
	}
	if err := unix.Fchmod(fd, mode&0o7777); err != nil {
		return fmt.Errorf("fchmod: %w", sysErr(err))
	}
	if c.opts.Fsync {
		if err := unix.Fsync(fd); err != nil {
			return fmt.Errorf("fsync: %w", sysErr(err))
		}
	}

	mode2 := linkNoReplace
	switch c.opts.Overwrite {
	case OverwriteUnionFiles:
		if c.opts.Whiteouts {
			// Docker semantics: a file may replace a whole directory.
			if err := rmrfAt(dfd, name); err != nil {
				return err
			}
		} else {
			mode2 = linkReplace
		}
	case OverwriteAddFiles:
		mode2 = linkIgnoreExist
	case OverwriteUnionIdentical:
		var st unix.Stat_t
		err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == nil {
			got, err := checksumAt(dfd, name, &st, c.checksumFlags())
			if err != nil {
				return err
			}
			if got == csum {
				return nil
			}
			// Otherwise the link below fails with EEXIST.
		} else if !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("fstatat(%s): %w", name, sysErr(err))
		}
	}
	return t.link(name, mode2)
}

func (c *checkouter) copySymlink(h *object.FileHeader, dfd int, name string) error {
	err := unix.Symlinkat(h.Target, dfd, name)
	if errors.Is(err, unix.EEXIST) {
		switch c.opts.Overwrite {
		case OverwriteUnionFiles:
			if c.opts.Whiteouts {
				if err := rmrfAt(dfd, name); err != nil {
					return err
				}
			} else if err := unix.Unlinkat(dfd, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
				return fmt.Errorf("unlinkat(%s): %w", name, sysErr(err))
			}
			if err := unix.Symlinkat(h.Target, dfd, name); err != nil {
				return fmt.Errorf("symlinkat: %w", sysErr(err))
			}
			// libostree falls through to "keep" here: a replaced
			// symlink gets no owner or xattrs.
			return nil
		case OverwriteAddFiles:
			return nil
		case OverwriteUnionIdentical:
			var st unix.Stat_t
			if err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return fmt.Errorf("fstatat(%s): %w", name, sysErr(err))
			}
			if st.Mode&unix.S_IFMT == unix.S_IFLNK {
				target, err := readlinkAt(dfd, name)
				if err != nil {
					return err
				}
				if target == h.Target {
					return nil
				}
			}
		}
		return fmt.Errorf("symlinkat: %w", sysErr(unix.EEXIST))
	}
	if err != nil {
		return fmt.Errorf("symlinkat: %w", sysErr(err))
	}
	if !c.user {
		if err := unix.Fchownat(dfd, name, int(h.UID), int(h.GID), unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("fchownat: %w", sysErr(err))
		}
		if err := setXattrsAt(dfd, name, h.Xattrs); err != nil {
			return err
		}
	}
	return nil
}

func readlinkAt(dfd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dfd, name, buf)
		if err != nil {
			return "", fmt.Errorf("readlinkat(%s): %w", name, sysErr(err))
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}

// overlayWhiteout creates an overlayfs whiteout (a 0:0 character device)
// named name, with the object's mode, owner and xattrs.
func (c *checkouter) overlayWhiteout(dfd int, name string, h *object.FileHeader) error {
	exists, err := c.mknodWhiteout(dfd, name, h)
	if err != nil || !exists {
		return err
	}
	switch c.opts.Overwrite {
	case OverwriteUnionFiles:
		if err := unix.Unlinkat(dfd, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("unlinkat(%s): %w", name, sysErr(err))
		}
		exists, err = c.mknodWhiteout(dfd, name, h)
		if err == nil && exists {
			err = fmt.Errorf("Creating whiteout char device: %w", sysErr(unix.EEXIST))
		}
		return err
	case OverwriteAddFiles:
		return nil
	case OverwriteUnionIdentical:
		var st unix.Stat_t
		if err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("fstatat(%s): %w", name, sysErr(err))
		}
		if !c.checksumFlags().ignoreXattrs {
			got, err := readXattrsAt(dfd, name)
			if err != nil {
				return err
			}
			if !got.Equal(h.Xattrs.Canonical()) {
				return fmt.Errorf("existing destination file %s xattrs don't match", name)
			}
		}
		if !c.user {
			if h.GID != st.Gid {
				return fmt.Errorf("existing destination file %s does not match gid %d", name, h.GID)
			}
			if h.UID != st.Uid {
				return fmt.Errorf("existing destination file %s does not match uid %d", name, h.UID)
			}
			if h.Mode&0o7777 != st.Mode&0o7777 {
				return fmt.Errorf("existing destination file %s does not match mode %o", name, h.Mode)
			}
		}
		return nil
	}
	return fmt.Errorf("Creating whiteout char device: %w", sysErr(unix.EEXIST))
}

// mknodWhiteout reports exists instead of failing when name is taken.
func (c *checkouter) mknodWhiteout(dfd int, name string, h *object.FileHeader) (exists bool, err error) {
	perm := h.Mode &^ unix.S_IFMT
	if err := unix.Mknodat(dfd, name, perm|unix.S_IFCHR, 0); err != nil {
		if errors.Is(err, unix.EEXIST) {
			return true, nil
		}
		return false, fmt.Errorf("Creating whiteout char device: %w", sysErr(err))
	}
	if !c.user {
		if err := setXattrsAt(dfd, name, h.Xattrs); err != nil {
			return false, fmt.Errorf("Setting xattrs for whiteout char device: %w", sysErr(err))
		}
		if err := unix.Fchownat(dfd, name, int(h.UID), int(h.GID), unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return false, fmt.Errorf("fchownat: %w", sysErr(err))
		}
		if err := unix.Fchmodat(dfd, name, perm, 0); err != nil {
			return false, fmt.Errorf("fchmodat %s to 0%o: %w", name, perm, sysErr(err))
		}
	}
	return false, nil
}
