package summary

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// Options tune Regenerate.
type Options struct {
	// Additional is extra metadata (`summary -u --add-metadata`), in
	// command-line order; a repeated key keeps its first position and its
	// last value.
	Additional object.Metadata
	// Now is the time recorded as ostree.summary.last-modified; the zero
	// value means the current time.
	Now time.Time
	// RemoteCollectionID gives the collection ID configured for a remote,
	// so that its refs/remotes refs join the collection map. Nil reads
	// the collection-id option from the [remote "NAME"] groups of the
	// repository's config and its parents' (remote.Config.CollectionID
	// also reads remotes.d).
	RemoteCollectionID func(remote string) (string, bool)
}

// Build computes the summary of r as ostree_repo_regenerate_summary does,
// without writing anything.
func Build(ctx context.Context, r *repo.Repo, opts Options) (*Summary, error) {
	dict := object.NewVarDictFrom(opts.Additional)
	var refs []Ref
	cfg := r.Config()
	mainID := r.CollectionID()

	if mainID == "" {
		all, err := r.ListRefsExt(ctx, repo.ListRefsOptions{})
		if err != nil {
			return nil, err
		}
		for _, name := range sortedKeys(all) {
			if strings.Contains(name, ":") {
				continue // remote refs stay out of the summary
			}
			e, err := refEntry(ctx, r, name, all[name])
			if err != nil {
				return nil, err
			}
			refs = append(refs, e)
		}
	}

	noDeltas, err := cfg.Bool("core", "no-deltas-in-summary", false)
	if err != nil {
		return nil, fmt.Errorf("core.no-deltas-in-summary: %w", err)
	}
	if !noDeltas {
		deltas, err := ListDeltasDirOrder(r)
		if err != nil {
			return nil, err
		}
		dd := object.NewVarDict()
		for _, d := range deltas {
			digest, err := d.SuperblockDigest(r)
			if err != nil {
				return nil, err
			}
			dd.Insert(d.Name(), gvariant.NewVariant("ay", digest))
		}
		if len(deltas) > 0 {
			dict.Insert(KeyStaticDeltas, gvariant.Variant{Type: object.MetadataType, Value: metaValue(dd.End())})
		}
	}

	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	dict.Insert(KeyLastModified, gvariant.NewVariant("t", bits.ReverseBytes64(uint64(now.Unix()))))
	mode, ok := cfg.Value("core", "mode")
	if !ok {
		mode = "bare"
	}
	dict.Insert(KeyMode, gvariant.NewVariant("s", mode))
	tomb, err := cfg.Bool("core", "tombstone-commits", false)
	if err != nil {
		return nil, fmt.Errorf("core.tombstone-commits: %w", err)
	}
	dict.Insert(KeyTombstoneCommits, gvariant.NewVariant("b", tomb))
	dict.Insert(KeyIndexedDeltas, gvariant.NewVariant("b", true))

	remoteID := opts.RemoteCollectionID
	if remoteID == nil {
		remoteID = func(name string) (string, bool) { return configRemoteCollectionID(r, name) }
	}
	crefs, err := r.ListCollectionRefs(ctx, repo.ListCollectionRefsOptions{RemoteCollectionID: remoteID})
	if err != nil {
		return nil, err
	}
	byID := map[string]map[string]string{}
	for cr, c := range crefs {
		if byID[cr.CollectionID] == nil {
			byID[cr.CollectionID] = map[string]string{}
		}
		byID[cr.CollectionID][cr.Ref] = c
	}
	var cols []Collection
	for _, id := range sortedKeys(byID) {
		m := byID[id]
		var list []Ref
		for _, name := range sortedKeys(m) {
			e, err := refEntry(ctx, r, name, m[name])
			if err != nil {
				return nil, err
			}
			list = append(list, e)
		}
		if id == mainID {
			refs = append(refs, list...)
		} else {
			cols = append(cols, Collection{ID: id, Refs: list})
		}
	}
	if mainID != "" {
		dict.Insert(KeyCollectionID, gvariant.NewVariant("s", mainID))
	}
	if len(cols) > 0 {
		dict.Insert(KeyCollectionMap, collectionMapValue(cols))
	}
	return &Summary{Refs: refs, Metadata: dict.End()}, nil
}

// maxTimestamp is the first second GLib's GDateTime cannot represent
// (year 10000); later commit timestamps are left out of the summary.
const maxTimestamp = 253402300800

// refEntry is summary_add_ref_entry: the commit's size, checksum,
// timestamp and version.
func refEntry(ctx context.Context, r *repo.Repo, name, rev string) (Ref, error) {
	c, err := object.ParseChecksum(rev)
	if err != nil {
		return Ref{}, fmt.Errorf("ref %s: %w", name, err)
	}
	data, err := r.LoadMetadata(ctx, c, object.TypeCommit)
	if err != nil {
		return Ref{}, err
	}
	cm, err := object.UnmarshalCommit(data)
	if err != nil {
		return Ref{}, fmt.Errorf("commit %s: %w", c, err)
	}
	d := object.NewVarDict()
	if cm.Timestamp < maxTimestamp {
		d.Insert(KeyCommitTimestamp, gvariant.NewVariant("t", bits.ReverseBytes64(cm.Timestamp)))
	}
	if v, ok := cm.Metadata.String("version"); ok {
		d.Insert(KeyCommitVersion, gvariant.NewVariant("s", v))
	}
	return Ref{Name: name, CommitSize: uint64(len(data)), Checksum: c, Metadata: d.End()}, nil
}

// Regenerate rewrites r's summary file from its refs, deltas and config,
// reindexes its static deltas (which sets core.indexed-deltas), and
// deletes summary.sig, which no longer matches. It holds the repository
// lock shared.
func Regenerate(ctx context.Context, r *repo.Repo, opts Options) error {
	unlock, err := r.Lock(ctx, false)
	if err != nil {
		return err
	}
	defer unlock()
	s, err := Build(ctx, r, opts)
	if err != nil {
		return err
	}
	data, err := Marshal(s)
	if err != nil {
		return err
	}
	if err := ReindexDeltas(ctx, r); err != nil {
		return err
	}
	if err := fsx.WriteFileAtomic(filepath.Join(r.Path(), "summary"), data, 0o644, r.FsyncEnabled()); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	if err := os.Remove(filepath.Join(r.Path(), "summary.sig")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete summary.sig: %w", err)
	}
	return nil
}

// AutoUpdateEnabled reports core.auto-update-summary or its deprecated
// alias core.commit-update-summary.
func AutoUpdateEnabled(r *repo.Repo) (bool, error) {
	cfg := r.Config()
	a, err := cfg.Bool("core", "auto-update-summary", false)
	if err != nil {
		return false, fmt.Errorf("core.auto-update-summary: %w", err)
	}
	c, err := cfg.Bool("core", "commit-update-summary", false)
	if err != nil {
		return false, fmt.Errorf("core.commit-update-summary: %w", err)
	}
	return a || c, nil
}

// MaybeRegenerate is _ostree_repo_maybe_regenerate_summary: commands that
// change refs (commit, refs, reset, pull, prune) call it after the change
// so that the summary follows when core.auto-update-summary is set.
func MaybeRegenerate(ctx context.Context, r *repo.Repo) error {
	on, err := AutoUpdateEnabled(r)
	if err != nil || !on {
		return err
	}
	return Regenerate(ctx, r, Options{})
}

// configRemoteCollectionID is the collection-id of remote name from the
// config of r or, when r does not define the remote or leaves the option
// unset, of its parents.
func configRemoteCollectionID(r *repo.Repo, name string) (string, bool) {
	for x := r; x != nil; x = x.Parent() {
		if id, ok := x.Config().String(`remote "`+name+`"`, "collection-id"); ok {
			return id, true
		}
	}
	return "", false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
