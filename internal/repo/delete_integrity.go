package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
)

// ObjectStorageSize is the size in bytes an object occupies in this repo
// (not a parent), as stored: compressed for archive content.
func (r *Repo) ObjectStorageSize(c object.Checksum, t object.Type) (int64, error) {
	st, err := os.Lstat(r.ObjectPath(c, t))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("querying object %s.%s: %w", c, t, errdefs.ErrNotFound)
		}
		return 0, fmt.Errorf("querying object %s.%s: %w", c, t, err)
	}
	return st.Size(), nil
}

// TombstoneCommits reports core.tombstone-commits.
func (r *Repo) TombstoneCommits() bool { return r.ConfigBool("tombstone-commits", false) }

// EnableTombstoneCommits sets core.tombstone-commits=true in the config
// unless it is already on.
func (r *Repo) EnableTombstoneCommits(ctx context.Context) error {
	if r.TombstoneCommits() {
		return nil
	}
	cfg := r.Config()
	cfg.SetBool("core", "tombstone-commits", true)
	return r.WriteConfig(ctx, cfg)
}

// RemoveObject deletes a loose object from this repo the way libostree's
// ostree_repo_delete_object does: deleting a commit also deletes its
// detached metadata and, when core.tombstone-commits is on, leaves a
// tombstone-commit object in its place. Removing an absent object is an
// error wrapping errdefs.ErrNotFound.
func (r *Repo) RemoveObject(ctx context.Context, c object.Checksum, t object.Type) error {
	if t == object.TypeCommit {
		err := os.Remove(r.ObjectPath(c, object.TypeCommitMeta))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("deleting object %s.%s: %w", c, object.TypeCommitMeta, err)
		}
	}
	if err := os.Remove(r.ObjectPath(c, t)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("deleting object %s.%s: %w", c, t, errdefs.ErrNotFound)
		}
		return fmt.Errorf("deleting object %s.%s: %w", c, t, err)
	}
	if t == object.TypeCommit && r.TombstoneCommits() {
		p := r.ObjectPath(c, object.TypeTombstoneCommit)
		if err := r.ensureObjectDir(filepath.Dir(p)); err != nil {
			return err
		}
		if err := writeAtomic(p, object.MarshalTombstone(c), r.fsync); err != nil {
			return fmt.Errorf("writing tombstone for %s: %w", c, err)
		}
	}
	return nil
}
