package summary

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// Delta names a static delta: from From (zero for a scratch delta) to To.
type Delta struct {
	From, To object.Checksum
}

// Name is the delta's name in the summary and the delta indexes:
// "FROM-TO" or "TO", in hex.
func (d Delta) Name() string {
	if d.From.IsZero() {
		return d.To.String()
	}
	return d.From.String() + "-" + d.To.String()
}

// Dir is the delta's directory relative to the repository.
func (d Delta) Dir() string {
	to := mbase64(d.To)
	if d.From.IsZero() {
		return filepath.Join("deltas", to[:2], to[2:])
	}
	from := mbase64(d.From)
	return filepath.Join("deltas", from[:2], from[2:]+"-"+to)
}

// SuperblockDigest is the sha256 of the delta's superblock file, which
// the summary and the delta index record.
func (d Delta) SuperblockDigest(r *repo.Repo) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(r.Path(), d.Dir(), "superblock"))
	if err != nil {
		return nil, fmt.Errorf("delta %s: %w", d.Name(), err)
	}
	sum := sha256.Sum256(b)
	return sum[:], nil
}

// mbase64 is ostree's "modified base64" of a checksum: standard base64
// with "/" replaced by "_" and without the trailing "=".
func mbase64(c object.Checksum) string {
	s := base64.StdEncoding.EncodeToString(c[:])
	return strings.ReplaceAll(strings.TrimSuffix(s, "="), "/", "_")
}

// fromMbase64 decodes a 43-character modified base64 checksum.
func fromMbase64(s string) (object.Checksum, bool) {
	if len(s) != 43 {
		return object.Checksum{}, false
	}
	b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(s, "_", "/") + "=")
	if err != nil || len(b) != 32 {
		return object.Checksum{}, false
	}
	var c object.Checksum
	copy(c[:], b)
	return c, true
}

// ListDeltas lists the static deltas of r that have a superblock, as
// ostree_repo_list_static_delta_names does, sorted by name.
func ListDeltas(ctx context.Context, r *repo.Repo) ([]Delta, error) {
	out, err := ListDeltasDirOrder(r)
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, err
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

// ListDeltasDirOrder lists deltas in directory order, the order in which
// libostree inserts them into the summary's GVariantDict (which decides
// the serialized order when hash buckets collide) and lists them
// (ostree_repo_list_static_delta_names).
func ListDeltasDirOrder(r *repo.Repo) ([]Delta, error) {
	root := filepath.Join(r.Path(), "deltas")
	outer, err := readDirUnsorted(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list deltas: %w", err)
	}
	var out []Delta
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
			name := o.Name() + in.Name()
			var d Delta
			var ok bool
			if from, to, isPair := strings.Cut(name, "-"); isPair {
				d.From, ok = fromMbase64(from)
				if ok {
					d.To, ok = fromMbase64(to)
				}
			} else {
				d.To, ok = fromMbase64(name)
			}
			if ok {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// indexPath is delta-indexes/TT/TTTT….index for deltas to c.
func indexPath(c object.Checksum) string {
	to := mbase64(c)
	return filepath.Join("delta-indexes", to[:2], to[2:]+".index")
}

// ListIndexes returns the targets of the existing delta index files, in
// directory order (ostree_repo_list_static_delta_indexes).
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
			if c, ok := fromMbase64(o.Name() + n); ok {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// ReindexDeltas is ostree_repo_static_delta_reindex for all deltas: it
// sets core.indexed-deltas, writes delta-indexes/… for each delta target
// whose index changed, and deletes indexes of targets without deltas.
func ReindexDeltas(ctx context.Context, r *repo.Repo) error {
	if err := setIndexedDeltas(ctx, r); err != nil {
		return err
	}
	targets := map[object.Checksum][]object.Checksum{}
	old, err := ListIndexes(r)
	if err != nil {
		return err
	}
	for _, c := range old {
		targets[c] = nil
	}
	deltas, err := ListDeltasDirOrder(r)
	if err != nil {
		return err
	}
	for _, d := range deltas {
		targets[d.To] = append(targets[d.To], d.From)
	}
	for to, froms := range targets {
		if err := writeIndex(r, to, froms); err != nil {
			return err
		}
	}
	return nil
}

// ReindexDelta is ostree_repo_static_delta_reindex for the deltas to one
// target.
func ReindexDelta(ctx context.Context, r *repo.Repo, to object.Checksum) error {
	if err := setIndexedDeltas(ctx, r); err != nil {
		return err
	}
	deltas, err := ListDeltasDirOrder(r)
	if err != nil {
		return err
	}
	var froms []object.Checksum
	for _, d := range deltas {
		if d.To == to {
			froms = append(froms, d.From)
		}
	}
	return writeIndex(r, to, froms)
}

// setIndexedDeltas turns on core.indexed-deltas.
func setIndexedDeltas(ctx context.Context, r *repo.Repo) error {
	on, err := r.Config().Bool("core", "indexed-deltas", false)
	if err != nil {
		return fmt.Errorf("core.indexed-deltas: %w", err)
	}
	if on {
		return nil
	}
	cfg, err := keyfile.Parse(r.Config().Bytes())
	if err != nil {
		return fmt.Errorf("repo config: %w", err)
	}
	cfg.StripComments()
	cfg.SetBool("core", "indexed-deltas", true)
	return r.WriteConfig(ctx, cfg)
}

// writeIndex writes the delta index of the deltas from froms (zero for
// scratch) to to, {"ostree.static-deltas": {NAME: superblock sha256}},
// unless the file already holds it; no froms deletes the index.
func writeIndex(r *repo.Repo, to object.Checksum, froms []object.Checksum) error {
	p := filepath.Join(r.Path(), indexPath(to))
	if len(froms) == 0 {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete delta index: %w", err)
		}
		return nil
	}
	// Scratch deltas (zero From) sort first, as NULL does in g_strcmp0.
	froms = append([]object.Checksum{}, froms...)
	sort.Slice(froms, func(i, j int) bool {
		if froms[i].IsZero() != froms[j].IsZero() {
			return froms[i].IsZero()
		}
		return froms[i].String() < froms[j].String()
	})
	dd := object.NewVarDict()
	for _, from := range froms {
		d := Delta{From: from, To: to}
		digest, err := d.SuperblockDigest(r)
		if err != nil {
			return err
		}
		dd.Insert(d.Name(), gvariant.NewVariant("ay", digest))
	}
	idx := object.NewVarDict()
	idx.Insert(KeyStaticDeltas, gvariant.Variant{Type: object.MetadataType, Value: metaValue(dd.End())})
	data, err := object.MarshalMetadata(idx.End())
	if err != nil {
		return fmt.Errorf("delta index %s: %w", to, err)
	}
	if cur, err := os.ReadFile(p); err == nil && bytes.Equal(cur, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("write delta index: %w", err)
	}
	if err := fsx.WriteFileAtomic(p, data, 0o644, r.FsyncEnabled()); err != nil {
		return fmt.Errorf("write delta index: %w", err)
	}
	return nil
}
