package checkout

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/object"
)

// checksumFlags are libostree's OstreeChecksumFlags.
type checksumFlags struct {
	ignoreXattrs   bool
	canonicalPerms bool // regular files count as owned by 0:0
}

// checksumAt computes the content checksum of dfd/name as it is on disk
// (ostree_checksum_file_at), for union-identical comparisons.
func checksumAt(dfd int, name string, st *unix.Stat_t, flags checksumFlags) (object.Checksum, error) {
	h := &object.FileHeader{UID: st.Uid, GID: st.Gid, Mode: st.Mode}
	var payload io.Reader
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return object.Checksum{}, fmt.Errorf("openat(%s): %w", name, sysErr(err))
		}
		f := os.NewFile(uintptr(fd), name)
		defer f.Close()
		payload = f
		if flags.canonicalPerms {
			h.UID, h.GID = 0, 0
		}
	case unix.S_IFLNK:
		target, err := readlinkAt(dfd, name)
		if err != nil {
			return object.Checksum{}, err
		}
		h.Target = target
	}
	if !flags.ignoreXattrs {
		x, err := readXattrsAt(dfd, name)
		if err != nil {
			return object.Checksum{}, err
		}
		h.Xattrs = x
	}
	sum, _, err := object.FileChecksum(h, payload)
	if err != nil {
		return object.Checksum{}, fmt.Errorf("checksum %s: %w", name, sysErr(err))
	}
	return sum, nil
}

// readXattrsAt reads dfd/name's xattrs in canonical order.
func readXattrsAt(dfd int, name string) (object.Xattrs, error) {
	list, err := fsx.Lxattrs(procPath(dfd, name))
	if err != nil {
		return nil, err
	}
	x := make(object.Xattrs, 0, len(list))
	for _, a := range list {
		x = append(x, object.Xattr{Name: a[0], Value: []byte(a[1])})
	}
	return x.Canonical(), nil
}

// readXattrsFd reads an open file's xattrs in canonical order.
func readXattrsFd(fd int) (object.Xattrs, error) {
	size, err := unix.Flistxattr(fd, nil)
	if err != nil {
		if errors.Is(err, unix.ENOTSUP) {
			return nil, nil
		}
		return nil, fmt.Errorf("flistxattr: %w", sysErr(err))
	}
	if size == 0 {
		return nil, nil
	}
	buf := make([]byte, size)
	if size, err = unix.Flistxattr(fd, buf); err != nil {
		return nil, fmt.Errorf("flistxattr: %w", sysErr(err))
	}
	var x object.Xattrs
	for _, name := range strings.Split(strings.TrimRight(string(buf[:size]), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		v, err := fgetxattr(fd, name)
		if err != nil {
			return nil, err
		}
		x = append(x, object.Xattr{Name: name, Value: v})
	}
	return x.Canonical(), nil
}

func fgetxattr(fd int, name string) ([]byte, error) {
	for {
		size, err := unix.Fgetxattr(fd, name, nil)
		if err != nil {
			return nil, fmt.Errorf("fgetxattr(%s): %w", name, sysErr(err))
		}
		buf := make([]byte, size)
		n, err := unix.Fgetxattr(fd, name, buf)
		if errors.Is(err, unix.ERANGE) {
			continue // grew meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("fgetxattr(%s): %w", name, sysErr(err))
		}
		return buf[:n], nil
	}
}
