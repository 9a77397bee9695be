package delta

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/summary"
)

// List returns the deltas of r that have a superblock, in directory
// order as ostree_repo_list_static_delta_names returns them.
func List(r *repo.Repo) ([]ID, error) {
	root := filepath.Join(r.Path(), "deltas")
	outer, err := readDirUnsorted(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list deltas: %w", err)
	}
	var out []ID
	for _, o := range outer {
		if !o.IsDir() {
			continue
		}
		inner, err := readDirUnsorted(filepath.Join(root, o.Name()))
		if err != nil {
			return nil, fmt.Errorf("list deltas: %w", err)
		}
		for _, in := range inner {
			if !in.IsDir() {
				continue
			}
			if _, err := os.Stat(filepath.Join(root, o.Name(), in.Name(), "superblock")); err != nil {
				continue
			}
			if id, err := IDFromDir(o.Name(), in.Name()); err == nil {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// ListIndexes returns the targets of r's delta index files, in directory
// order (ostree_repo_list_static_delta_indexes).
func ListIndexes(r *repo.Repo) ([]object.Checksum, error) {
	root := filepath.Join(r.Path(), "delta-indexes")
	outer, err := readDirUnsorted(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list delta indexes: %w", err)
	}
	var out []object.Checksum
	for _, o := range outer {
		if !o.IsDir() || len(o.Name()) != 2 {
			continue
		}
		inner, err := readDirUnsorted(filepath.Join(root, o.Name()))
		if err != nil {
			return nil, fmt.Errorf("list delta indexes: %w", err)
		}
		for _, in := range inner {
			n, ok := strings.CutSuffix(in.Name(), ".index")
			if !ok || !in.Type().IsRegular() || len(n) != 41 {
				continue
			}
			if c, err := ParseMBase64(o.Name() + n); err == nil {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

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

// SuperblockDigest is the sha256 of a delta's superblock file, which the
// summary and the delta indexes record.
func SuperblockDigest(r *repo.Repo, id ID) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(r.Path(), id.SuperblockPath()))
	if err != nil {
		return nil, fmt.Errorf("delta %s: %w", id, err)
	}
	sum := sha256.Sum256(b)
	return sum[:], nil
}

// Reindex is ostree_repo_static_delta_reindex: it sets
// core.indexed-deltas and rewrites the delta index of every delta target
// (or only of to, when it is non-nil), deleting indexes of targets that
// have no delta left. Unchanged index files are not rewritten.
func Reindex(ctx context.Context, r *repo.Repo, to *object.Checksum) error {
	if to == nil {
		// The summary package keeps the same files for `summary -u`.
		return summary.ReindexDeltas(ctx, r)
	}
	unlock, err := r.Lock(ctx, false)
	if err != nil {
		return err
	}
	defer unlock()
	if err := setIndexedDeltas(ctx, r); err != nil {
		return err
	}
	deltas, err := List(r)
	if err != nil {
		return err
	}
	var froms []object.Checksum
	found := false
	for _, d := range deltas {
		if d.To == *to {
			froms, found = append(froms, d.From), true
		}
	}
	p := filepath.Join(r.Path(), IndexPath(*to))
	if !found {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete delta index: %w", err)
		}
		return nil
	}
	data, err := MarshalIndex(r, *to, froms)
	if err != nil {
		return err
	}
	if cur, err := os.ReadFile(p); err == nil && bytes.Equal(cur, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("write delta index: %w", err)
	}
	return fsx.WriteFileAtomic(p, data, 0o644, r.FsyncEnabled())
}

func setIndexedDeltas(ctx context.Context, r *repo.Repo) error {
	on, err := r.Config().Bool("core", "indexed-deltas", false)
	if err != nil || on {
		return err
	}
	cfg, err := keyfile.Parse(r.Config().Bytes())
	if err != nil {
		return fmt.Errorf("repo config: %w", err)
	}
	cfg.StripComments()
	cfg.SetBool("core", "indexed-deltas", true)
	return r.WriteConfig(ctx, cfg)
}

// MarshalIndex serializes the delta index of the deltas from froms (zero
// for scratch) to to: {"ostree.static-deltas": {NAME: superblock sha256}}.
func MarshalIndex(r *repo.Repo, to object.Checksum, froms []object.Checksum) ([]byte, error) {
	froms = append([]object.Checksum{}, froms...)
	// Scratch deltas sort first, as NULL does in g_strcmp0.
	sort.Slice(froms, func(i, j int) bool {
		if froms[i].IsZero() != froms[j].IsZero() {
			return froms[i].IsZero()
		}
		return froms[i].String() < froms[j].String()
	})
	dd := object.NewVarDict()
	for _, from := range froms {
		id := ID{From: from, To: to}
		digest, err := SuperblockDigest(r, id)
		if err != nil {
			return nil, err
		}
		dd.Insert(id.String(), gvariant.NewVariant("ay", digest))
	}
	idx := object.NewVarDict()
	inner := dd.End()
	val := make([]any, len(inner))
	for i, e := range inner {
		val[i] = gvariant.DictEntry{Key: e.Key, Value: e.Value}
	}
	idx.Insert(summary.KeyStaticDeltas, gvariant.Variant{Type: object.MetadataType, Value: val})
	data, err := object.MarshalMetadata(idx.End())
	if err != nil {
		return nil, fmt.Errorf("delta index %s: %w", to, err)
	}
	return data, nil
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

// readDirUnsorted lists a directory in the order the filesystem returns
// it; os.ReadDir sorts by name.
func readDirUnsorted(dir string) ([]fs.DirEntry, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}
