package commit

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/object"
)

// ChecksumPath computes what `ostree checksum PATH` prints: the content
// checksum of a file or symlink (any other non-directory is hashed as a
// header with its mode and no payload), or the dirmeta checksum of a
// directory. ignoreXattrs leaves extended attributes out.
func ChecksumPath(ctx context.Context, path string, ignoreXattrs bool) (object.Checksum, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		if ignoreXattrs {
			return object.Checksum{}, fmt.Errorf("fstatat(%s): %w", path, err)
		}
		abs, _ := filepath.Abs(path)
		return object.Checksum{}, fmt.Errorf("Error when getting information for file “%s”: %w", abs, err)
	}
	fi := statInfo(&st)
	var x object.Xattrs
	if !ignoreXattrs {
		var err error
		if x, err = readXattrs(path); err != nil {
			return object.Checksum{}, err
		}
	}
	if fi.isDir() {
		return object.Sum(object.MarshalDirMeta(object.DirMeta{UID: fi.UID, GID: fi.GID, Mode: fi.Mode, Xattrs: x})), nil
	}
	if fi.isLink() {
		t, err := os.Readlink(path)
		if err != nil {
			return object.Checksum{}, fmt.Errorf("readlinkat(%s): %w", path, err)
		}
		fi.Target = t
	}
	d := sha256.New()
	d.Write(object.MarshalFileHeader(fi.header(x)))
	if fi.isReg() {
		f, err := os.Open(path)
		if err != nil {
			return object.Checksum{}, fmt.Errorf("opening %s: %w", path, err)
		}
		defer f.Close()
		if _, err := io.Copy(d, f); err != nil {
			return object.Checksum{}, fmt.Errorf("reading %s: %w", path, err)
		}
	}
	var c object.Checksum
	d.Sum(c[:0])
	return c, nil
}
