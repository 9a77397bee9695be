package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/object"
	"golang.org/x/sys/unix"
)

// Txn stages objects and ref updates. Objects are written under
// tmp/staging-*, verified against their checksums, and moved into
// objects/ only by Commit, after a filesystem sync; refs change last.
// A Txn is safe for concurrent use by several writers.
type Txn struct {
	r       *Repo
	dir     string
	dirLock int // flock fd of dir's "-lock" file, or -1
	unlock  func()

	mu sync.Mutex
	// subdirs records which XX subdirectories of the staging directory
	// exist; nstaged counts the staged objects (txn_stage.go).
	subdirs [256]atomic.Bool
	stageFD *dirFD // the staging directory, for paths relative to it
	nstaged atomic.Int64
	refs    []refUpdate
	budget  atomic.Int64 // bytes still writable before min-free-space; <0 means unlimited
	stats   Stats
	seq     atomic.Int64
}

// Stats counts what a transaction wrote.
type Stats struct {
	MetadataTotal   int64
	MetadataWritten int64
	ContentTotal    int64
	ContentWritten  int64
	ContentBytes    int64
}

type refUpdate struct {
	remote, name string
	target       *object.Checksum
}

// Begin starts a transaction, holding the repo lock shared until Commit
// or Abort.
func (r *Repo) Begin(ctx context.Context) (*Txn, error) {
	unlock, err := r.Lock(ctx, false)
	if err != nil {
		return nil, err
	}
	r.removeStaleStaging()
	dir, err := os.MkdirTemp(filepath.Join(r.path, "tmp"), "staging-"+bootID()+"-")
	if err != nil {
		unlock()
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	lockFD, err := lockStaging(dir)
	if err != nil || lockFD < 0 {
		os.RemoveAll(dir)
		unlock()
		return nil, fmt.Errorf("begin transaction: locking %s: %v", dir, err)
	}
	t := &Txn{r: r, dir: dir, dirLock: lockFD, unlock: unlock, stageFD: &dirFD{}}
	t.budget.Store(-1)
	if reserved, err := r.reservedBytes(); err == nil && reserved > 0 {
		avail, _, err := fsx.FreeSpace(r.path)
		if err == nil {
			if avail <= reserved {
				t.Abort()
				return nil, fmt.Errorf("%w: min-free-space would be exceeded, %d bytes more required", errdefs.ErrNoSpace, reserved-avail)
			}
			t.budget.Store(int64(avail - reserved))
		}
	}
	return t, nil
}

// Repo returns the transaction's repository.
func (t *Txn) Repo() *Repo { return t.r }

// Stats returns the counters so far.
func (t *Txn) Stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stats
}

// HasObject reports whether the object is staged or already stored.
func (t *Txn) HasObject(ctx context.Context, c object.Checksum, typ object.Type) (bool, error) {
	ok, err := t.r.HasObject(ctx, c, typ)
	if ok || err != nil {
		return ok, err
	}
	return t.isStaged(object.Name{Checksum: c, Type: typ}), nil
}

// StagedPath returns the path of a staged object, or "".
func (t *Txn) StagedPath(c object.Checksum, typ object.Type) string {
	n := object.Name{Checksum: c, Type: typ}
	if !t.isStaged(n) {
		return ""
	}
	return t.stagedPath(n)
}

func (t *Txn) tempPath() string {
	return filepath.Join(t.dir, fmt.Sprintf("w%d", t.seq.Add(1)))
}

func (t *Txn) charge(n int64) error {
	for {
		b := t.budget.Load()
		if b < 0 {
			return nil
		}
		if n > b {
			return fmt.Errorf("%w: min-free-space would be exceeded, %d bytes more required", errdefs.ErrNoSpace, n-b)
		}
		if t.budget.CompareAndSwap(b, b-n) {
			return nil
		}
	}
}

// WriteMetadata stores a metadata object named by its checksum and
// returns the checksum. Existing objects are not rewritten.
func (t *Txn) WriteMetadata(ctx context.Context, typ object.Type, data []byte) (object.Checksum, error) {
	c := object.Sum(data)
	return c, t.WriteMetadataAs(ctx, c, typ, data)
}

// WriteMetadataAs stores a metadata object whose checksum the caller
// states; it is verified unless the type is named by another object
// (commitmeta, tombstones).
func (t *Txn) WriteMetadataAs(ctx context.Context, c object.Checksum, typ object.Type, data []byte) error {
	if typ != object.TypeCommitMeta && typ != object.TypeTombstoneCommit {
		if got := object.Sum(data); got != c {
			return fmt.Errorf("corrupted %s object; checksum expected='%s' actual='%s': %w", typ, c, got, errdefs.ErrCorrupt)
		}
	}
	t.mu.Lock()
	t.stats.MetadataTotal++
	t.mu.Unlock()
	if ok, err := t.HasObject(ctx, c, typ); err != nil || ok {
		return err
	}
	f, err := t.createTemp()
	if err == nil {
		if _, err = (rawFile{f.fd}).Write(data); err == nil {
			err = unix.Fchmod(f.fd, 0o644)
		}
		if err != nil {
			f.discard()
		}
	}
	if err != nil {
		return fmt.Errorf("write %s.%s: %w", c, typ, err)
	}
	written, err := t.place(ctx, object.Name{Checksum: c, Type: typ}, f, int64(len(data)), false)
	if written {
		t.mu.Lock()
		t.stats.MetadataWritten++
		t.mu.Unlock()
	}
	return err
}

// SetRef queues a ref update (nil target deletes) for Commit.
func (t *Txn) SetRef(remote, name string, target *object.Checksum) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.refs = append(t.refs, refUpdate{remote, name, target})
}

// Commit publishes the staged objects, then applies the ref updates.
func (t *Txn) Commit(ctx context.Context) error {
	if testErrorPreCommit() {
		t.Keep()
		return fmt.Errorf("OSTREE_REPO_TEST_ERROR_PRE_COMMIT specified")
	}
	defer t.Abort()
	t.mu.Lock()
	refs := t.refs
	t.refs = nil
	t.mu.Unlock()
	if t.r.fsync && t.nstaged.Load() > 0 {
		// One syncfs makes every staged file durable before any becomes
		// visible, far cheaper than an fsync per object.
		if err := fsx.Syncfs(t.dir); err != nil {
			return err
		}
	}
	dirs := map[string]bool{}
	err := t.eachStaged(func(name object.Name, tmp string) error {
		dst := t.r.ObjectPath(name.Checksum, name.Type)
		if err := t.r.ensureObjectDir(filepath.Dir(dst)); err != nil {
			return err
		}
		from, fromRel := t.stagedAt(name)
		to, toRel := t.r.objectAt(name.Checksum, name.Type)
		// Not os.Rename, which stats dst first to refuse replacing a
		// directory: one more system call per object.
		if err := unix.Renameat(from, fromRel, to, toRel); err != nil {
			return fmt.Errorf("commit object %s: %w", name, err)
		}
		dirs[filepath.Dir(dst)] = true
		return nil
	})
	if err != nil {
		return err
	}
	if t.r.fsync {
		for d := range dirs {
			if err := fsx.SyncDir(d); err != nil {
				return err
			}
		}
	}
	for _, u := range refs {
		if err := t.r.SetRef(ctx, u.remote, u.name, u.target); err != nil {
			return err
		}
	}
	return nil
}

// Abort drops everything staged and releases the lock. It is safe to
// call after Commit.
func (t *Txn) Abort() {
	t.closeStageFD()
	if t.dir != "" {
		os.RemoveAll(t.dir)
		releaseStaging(t.dir, t.dirLock, true)
		t.dir, t.dirLock = "", -1
	}
	if t.dirLock >= 0 {
		// Keep cleared dir; the lock file goes with the lock, as
		// glnx_release_lock_file unlinks an exclusive lock's file.
		unixClose(t.dirLock)
		t.dirLock = -1
	}
	if t.unlock != nil {
		t.unlock()
		t.unlock = nil
	}
}

func (r *Repo) ensureObjectDir(dir string) error {
	r.dirMu.Lock()
	defer r.dirMu.Unlock()
	if r.knownDirs[dir] {
		return nil
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	r.knownDirs[dir] = true
	return nil
}
