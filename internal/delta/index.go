package delta

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/summary"
)

// List returns the deltas of r that have a superblock, in directory
// order as ostree_repo_list_static_delta_names returns them.
func List(r *repo.Repo) ([]ID, error) {
	ds, err := summary.ListDeltasDirOrder(r)
	out := make([]ID, 0, len(ds))
	for _, d := range ds {
		out = append(out, ID{From: d.From, To: d.To})
	}
	return out, err
}

// ListIndexes returns the targets of r's delta index files, in directory
// order (ostree_repo_list_static_delta_indexes).
func ListIndexes(r *repo.Repo) ([]object.Checksum, error) { return summary.ListIndexes(r) }

// Delete removes a delta's directory.
func Delete(r *repo.Repo, id ID) error {
	dir := filepath.Join(r.Path(), id.Dir())
	if _, err := os.Lstat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("Can't find delta %s: %w", id, errdefs.ErrNotFound)
		}
		return err
	}
	return os.RemoveAll(dir)
}

// Reindex is ostree_repo_static_delta_reindex: it sets
// core.indexed-deltas and rewrites the delta index of every delta target
// (or only of to, when it is non-nil), deleting indexes of targets that
// have no delta left. Unchanged index files are not rewritten.
func Reindex(ctx context.Context, r *repo.Repo, to *object.Checksum) error {
	if to == nil {
		return summary.ReindexDeltas(ctx, r)
	}
	unlock, err := r.Lock(ctx, false)
	if err != nil {
		return err
	}
	defer unlock()
	return summary.ReindexDelta(ctx, r, *to)
}

// UnmarshalIndex parses a delta index file into delta names and their
// superblock digests.
func UnmarshalIndex(b []byte) (map[ID][]byte, error) {
	md, err := object.UnmarshalMetadata(b)
	if err != nil {
		return nil, fmt.Errorf("delta index: %w: %v", errdefs.ErrCorrupt, err)
	}
	out := map[ID][]byte{}
	v, ok := md.Lookup(summary.KeyStaticDeltas)
	if !ok || v.Type.String() != "a{sv}" {
		return out, nil
	}
	for _, e := range v.Value.([]any) {
		de := e.(gvariant.DictEntry)
		id, err := ParseID(de.Key.(string))
		if err != nil {
			return nil, err
		}
		dv := de.Value.(gvariant.Variant)
		if dv.Type.String() != "ay" || len(dv.Value.([]byte)) != 32 {
			return nil, fmt.Errorf("delta index entry %s: %w", id, errdefs.ErrCorrupt)
		}
		out[id] = dv.Value.([]byte)
	}
	return out, nil
}
