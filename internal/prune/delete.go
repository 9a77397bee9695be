package prune

import (
	"context"
	"errors"
	"fmt"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// DeleteCommit deletes one commit object (with its detached metadata),
// refusing when a local, remote or collection ref points at it. Like the
// reference it turns on core.tombstone-commits first, so a tombstone
// records the deletion.
func DeleteCommit(ctx context.Context, r *repo.Repo, c object.Checksum) error {
	unlock, err := r.Lock(ctx, true)
	if err != nil {
		return err
	}
	defer unlock()
	refs, err := r.ListRefs(ctx, true)
	if err != nil {
		return err
	}
	for _, e := range refs {
		if e.Checksum == c {
			return fmt.Errorf("Commit '%s' is referenced by '%s': %w", c, e.Refspec(), errdefs.ErrInvalid)
		}
	}
	mirrors, err := r.ListMirrorRefs(ctx)
	if err != nil {
		return err
	}
	if cid := r.CollectionID(); cid != "" {
		for _, e := range refs {
			if e.Remote == "" {
				e.CollectionID = cid
				mirrors = append(mirrors, e)
			}
		}
	}
	for _, e := range mirrors {
		if e.Checksum == c {
			return fmt.Errorf("Commit '%s' is referenced by (%s, %s): %w", c, e.CollectionID, e.Name, errdefs.ErrInvalid)
		}
	}
	if err := r.EnableTombstoneCommits(ctx); err != nil {
		return err
	}
	err = r.RemoveObject(ctx, c, object.TypeCommit)
	if errors.Is(err, errdefs.ErrNotFound) {
		return NoSuchCommitError(c.String())
	}
	return err
}

// NoSuchCommitError is the reference's error for deleting a commit that
// is not stored (or a name that is not a checksum, which it does not
// resolve).
func NoSuchCommitError(name string) error {
	rel := name
	if len(name) > 2 {
		rel = name[:2] + "/" + name[2:]
	}
	return fmt.Errorf("Deleting object %s.commit: unlinkat(%s.commit): No such file or directory: %w", name, rel, errdefs.ErrNotFound)
}
