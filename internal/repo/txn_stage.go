package repo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/gostree/gostree/internal/object"
	"golang.org/x/sys/unix"
)

// Staged objects wait in the staging directory under their own names
// (XX/REST.TYPE, whatever the repository's mode), as libostree stages
// them, until Commit moves them into objects/. The file system is the
// index: a transaction of many objects holds nothing in memory for each.
//
// Objects are written to anonymous files (O_TMPFILE) and linked to their
// staged name only once complete, as libostree writes them: no temporary
// name ever appears in the staging directory, so a commit of a tree that
// holds the repository (`ostree commit` in the repository's parent) never
// sees a file vanish under its walk. Filesystems without O_TMPFILE get
// named temporary files, renamed into place.

// tmpFile is an object being written for the staging directory.
type tmpFile struct {
	fd   int    // open for writing; -1 for a symlink
	path string // "" for an anonymous file
}

// createTemp opens a new file to write an object into.
func (t *Txn) createTemp() (tmpFile, error) {
	if !t.r.noTmpfile.Load() {
		fd, err := unix.Open(t.dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
		if err == nil {
			return tmpFile{fd: fd}, nil
		}
		if !errors.Is(err, unix.EOPNOTSUPP) && !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EINVAL) {
			return tmpFile{fd: -1}, err
		}
		t.r.noTmpfile.Store(true)
	}
	p := t.tempPath()
	fd, err := unix.Open(p, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return tmpFile{fd: -1}, err
	}
	return tmpFile{fd: fd, path: p}, nil
}

// discard drops an object that will not be staged.
func (f tmpFile) discard() {
	if f.fd >= 0 {
		unix.Close(f.fd)
	}
	if f.path != "" {
		unix.Unlink(f.path)
	}
}

// stagedPath is where object n waits in the staging directory.
func (t *Txn) stagedPath(n object.Name) string {
	return t.dir + "/" + object.LoosePath(n.Checksum, n.Type, false)
}

// stagedAt returns a descriptor of the staging directory and object n's
// staged path relative to it (the absolute path when there is none).
func (t *Txn) stagedAt(n object.Name) (int, string) {
	fd := t.stageFD.get(t.dir)
	if fd < 0 {
		return unix.AT_FDCWD, t.stagedPath(n)
	}
	return fd, object.LoosePath(n.Checksum, n.Type, false)
}

// closeStageFD drops the staging directory's descriptor.
func (t *Txn) closeStageFD() {
	if t.stageFD != nil {
		t.stageFD.close()
	}
	t.stageFD = &dirFD{}
}

// isStaged reports whether object n is staged.
func (t *Txn) isStaged(n object.Name) bool {
	var st unix.Stat_t
	dir, rel := t.stagedAt(n)
	return unix.Fstatat(dir, rel, &st, unix.AT_SYMLINK_NOFOLLOW) == nil
}

// place stages the finished file f as object n: unless the store has n
// (when lookup is set), its size fits min-free-space, and no concurrent
// writer staged n first, f gets n's staged name and fs-verity when the
// repository wants it. It reports whether n was newly staged; f is
// consumed either way.
func (t *Txn) place(ctx context.Context, n object.Name, f tmpFile, size int64, lookup bool) (bool, error) {
	if lookup {
		// Only the store is looked up: linking finds n staged already.
		if have, err := t.r.HasObject(ctx, n.Checksum, n.Type); err != nil || have {
			f.discard()
			return false, err
		}
	}
	if err := t.charge(size); err != nil {
		f.discard()
		return false, err
	}
	staged, err := t.stageTemp(n, f)
	if err != nil || !staged {
		return false, err
	}
	if err := t.sealStaged(t.stagedPath(n)); err != nil {
		t.unstage(n)
		return false, err
	}
	return true, nil
}

// stageTemp gives f object n's staged name, unless n is staged already
// (by a concurrent writer): then f is dropped and false returned.
func (t *Txn) stageTemp(n object.Name, f tmpFile) (bool, error) {
	if f.path != "" {
		if f.fd >= 0 {
			unix.Close(f.fd)
		}
		return t.stageAs(n, f.path)
	}
	defer unix.Close(f.fd)
	dir, dst := t.stagedAt(n)
	if err := t.stagingSubdir(n.Checksum[0]); err != nil {
		return false, err
	}
	// linkat through /proc needs no privilege; AT_EMPTY_PATH needs
	// CAP_DAC_READ_SEARCH but works without /proc mounted.
	err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(f.fd), dir, dst, unix.AT_SYMLINK_FOLLOW)
	if errors.Is(err, unix.ENOENT) {
		if _, serr := os.Stat("/proc/self/fd"); serr != nil {
			err = unix.Linkat(f.fd, "", dir, dst, unix.AT_EMPTY_PATH)
		}
	}
	switch {
	case err == nil:
		t.nstaged.Add(1)
		return true, nil
	case errors.Is(err, unix.EEXIST):
		return false, nil
	}
	return false, fmt.Errorf("stage %s: %w", n, err)
}

// stageAs moves the complete named file tmp to object n's staged name,
// unless n is staged already: then tmp is dropped and false returned.
func (t *Txn) stageAs(n object.Name, tmp string) (bool, error) {
	dir, dst := t.stagedAt(n)
	if err := t.stagingSubdir(n.Checksum[0]); err != nil {
		unix.Unlink(tmp)
		return false, err
	}
	err := unix.Renameat2(unix.AT_FDCWD, tmp, dir, dst, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		// No RENAME_NOREPLACE here: a hard link refuses to replace too.
		if err = unix.Linkat(unix.AT_FDCWD, tmp, dir, dst, 0); err == nil {
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

// linked is what linkStaged did: ok when the object is now stored or
// staged, new when this call staged it.
type linked struct{ ok, new bool }

// linkStaged hard-links src to object n's staged name, unless n is
// staged already; callers have looked n up in the store. ok is false
// when src does not exist or the file system cannot link it.
func (t *Txn) linkStaged(n object.Name, src string) (linked, error) {
	if err := t.stagingSubdir(n.Checksum[0]); err != nil {
		return linked{}, err
	}
	dir, dst := t.stagedAt(n)
	err := unix.Linkat(unix.AT_FDCWD, src, dir, dst, 0)
	switch {
	case err == nil:
		t.nstaged.Add(1)
		return linked{ok: true, new: true}, nil
	case errors.Is(err, unix.EEXIST):
		return linked{ok: true}, nil
	case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EXDEV) || errors.Is(err, unix.EMLINK) || errors.Is(err, unix.EPERM):
		return linked{}, nil
	}
	return linked{}, fmt.Errorf("importing %s: %w", n, err)
}

// unstage drops a staged object.
func (t *Txn) unstage(n object.Name) {
	dir, rel := t.stagedAt(n)
	if unix.Unlinkat(dir, rel, 0) == nil {
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
