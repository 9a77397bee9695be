package repo

import (
	"errors"
	"fmt"
	"os"

	"github.com/gostree/gostree/internal/object"
	"golang.org/x/sys/unix"
)

// Staged objects wait in the staging directory under their own names
// (XX/REST.TYPE, whatever the repository's mode), as libostree stages
// them, until Commit moves them into objects/. The file system is the
// index: a transaction of many objects holds nothing in memory for each.

// stagedPath is where object n waits in the staging directory.
func (t *Txn) stagedPath(n object.Name) string {
	h := n.Checksum.String()
	return t.dir + "/" + h[:2] + "/" + h[2:] + "." + n.Type.String()
}

// isStaged reports whether object n is staged.
func (t *Txn) isStaged(n object.Name) bool {
	var st unix.Stat_t
	return unix.Fstatat(unix.AT_FDCWD, t.stagedPath(n), &st, unix.AT_SYMLINK_NOFOLLOW) == nil
}

// stageAs moves the verified temp file tmp to object n's staged name,
// unless n is staged already (by a concurrent writer): then tmp is
// dropped and false returned.
func (t *Txn) stageAs(n object.Name, tmp string) (bool, error) {
	dst := t.stagedPath(n)
	if err := t.stagingSubdir(n.Checksum[0]); err != nil {
		unix.Unlink(tmp)
		return false, err
	}
	err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dst, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		// No RENAME_NOREPLACE here: a hard link refuses to replace too.
		if err = unix.Link(tmp, dst); err == nil {
			unix.Unlink(tmp)
		}
	}
	if errors.Is(err, unix.EEXIST) {
		unix.Unlink(tmp)
		return false, nil
	}
	if err != nil {
		unix.Unlink(tmp)
		return false, fmt.Errorf("stage %s: %w", n, err)
	}
	t.nstaged.Add(1)
	return true, nil
}

// unstage drops a staged object.
func (t *Txn) unstage(n object.Name) {
	if unix.Unlink(t.stagedPath(n)) == nil {
		t.nstaged.Add(-1)
	}
}

// stagingSubdir creates the staging directory's subdirectory for
// checksums starting with byte b, once.
func (t *Txn) stagingSubdir(b byte) error {
	if t.subdirs[b].Load() {
		return nil
	}
	dir := fmt.Sprintf("%s/%02x", t.dir, b)
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	t.subdirs[b].Store(true)
	return nil
}

// eachStaged calls fn with every staged object and its staged path.
func (t *Txn) eachStaged(fn func(n object.Name, path string) error) error {
	for b := range t.subdirs {
		if !t.subdirs[b].Load() {
			continue
		}
		dir := fmt.Sprintf("%s/%02x", t.dir, b)
		ents, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			n, err := object.ParseName(dir[len(dir)-2:] + e.Name())
			if err != nil {
				return fmt.Errorf("staging directory: unexpected file %s/%s", dir, e.Name())
			}
			if err := fn(n, dir+"/"+e.Name()); err != nil {
				return err
			}
		}
	}
	return nil
}
