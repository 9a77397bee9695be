package prune

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/membudget"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/traverse"
)

// Options select what Prune keeps and whether it deletes.
type Options struct {
	// NoPrune only counts what would be deleted.
	NoPrune bool
	// RefsOnly keeps only what refs reach; otherwise every stored commit
	// is a root and only objects no commit reaches are deleted.
	RefsOnly bool
	// Depth is how many parents to keep from each root; -1 keeps all.
	Depth int
	// CommitOnly walks and deletes commit objects only.
	CommitOnly bool

	// The selective options below imply RefsOnly and look at local and
	// remote refs only (as the reference, not collection refs).

	// KeepYoungerThan keeps, from each ref without a RetainBranchDepth,
	// its head and the ancestors whose timestamp is not older.
	KeepYoungerThan *time.Time
	// RetainBranchDepth keeps this many parents for the named refs.
	RetainBranchDepth map[string]int
	// OnlyBranches prunes only these refs; every other ref keeps its
	// whole history.
	OnlyBranches []string
}

func (o Options) selective() bool {
	return o.KeepYoungerThan != nil || len(o.RetainBranchDepth) > 0 || len(o.OnlyBranches) > 0
}

// Result counts what Prune saw and removed.
type Result struct {
	// Total is how many objects were considered (commits only with
	// CommitOnly).
	Total int
	// Pruned is how many were (or with NoPrune would be) deleted, freeing
	// Freed bytes of storage.
	Pruned int
	Freed  int64
}

// Prune deletes unreachable objects from r under the exclusive repo
// lock.
func Prune(ctx context.Context, r *repo.Repo, opts Options) (Result, error) {
	membudget.LimitGo(r.Config())
	unlock, err := r.Lock(ctx, true)
	if err != nil {
		return Result{}, err
	}
	defer unlock()

	w := traverse.New(r, traverse.Options{CommitOnly: opts.CommitOnly})
	objects, err := listObjects(ctx, r, opts.CommitOnly)
	if err != nil {
		return Result{}, err
	}
	var roots []traverse.Root
	switch {
	case opts.selective():
		if roots, err = selectiveRoots(ctx, r, w, opts); err != nil {
			return Result{}, err
		}
	case opts.RefsOnly:
		if roots, err = refRoots(ctx, r, opts.Depth); err != nil {
			return Result{}, err
		}
	default:
		for _, n := range objects {
			if n.Type == object.TypeCommit {
				roots = append(roots, traverse.Root{Commit: n.Checksum, Depth: opts.Depth})
			}
		}
	}
	if err := w.Walk(ctx, roots); err != nil {
		return Result{}, fmt.Errorf("finding objects to keep: %w", err)
	}
	// Commits go first: a prune killed halfway then leaves unreachable
	// trees and files, never a commit whose tree is gone (which fsck
	// reports as corruption).
	slices.SortStableFunc(objects, func(a, b object.Name) int {
		switch {
		case a.Type == b.Type || (a.Type != object.TypeCommit && b.Type != object.TypeCommit):
			return 0
		case a.Type == object.TypeCommit:
			return -1
		}
		return 1
	})
	res, err := pruneUnreachable(ctx, r, objects, w.Reachable(), opts.NoPrune)
	if err != nil {
		return res, err
	}
	if err := PruneStaticDeltas(ctx, r, nil); err != nil {
		return res, err
	}
	if err := pruneSummaryCache(r); err != nil {
		return res, err
	}
	return res, nil
}

// refRoots lists every ref the reference's traverse_reachable_internal
// keeps: local and remote refs, then collection refs (local refs under
// the repo's collection ID and refs/mirrors).
func refRoots(ctx context.Context, r *repo.Repo, depth int) ([]traverse.Root, error) {
	refs, err := r.ListRefs(ctx, true)
	if err != nil {
		return nil, err
	}
	mirrors, err := r.ListMirrorRefs(ctx)
	if err != nil {
		return nil, err
	}
	var roots []traverse.Root
	for _, e := range append(refs, mirrors...) {
		roots = append(roots, traverse.Root{Commit: e.Checksum, Depth: depth})
	}
	return roots, nil
}

// selectiveRoots implements --keep-younger-than, --retain-branch-depth
// and --only-branch over local and remote refs.
func selectiveRoots(ctx context.Context, r *repo.Repo, w *traverse.Walker, opts Options) ([]traverse.Root, error) {
	refs, err := r.ListRefs(ctx, true)
	if err != nil {
		return nil, err
	}
	retain := map[string]int{}
	for k, v := range opts.RetainBranchDepth {
		retain[k] = v
	}
	if len(opts.OnlyBranches) > 0 {
		only := map[string]bool{}
		for _, b := range opts.OnlyBranches {
			if _, err := r.ResolveRev(ctx, b, false); err != nil {
				return nil, err
			}
			only[b] = true
		}
		for _, e := range refs {
			name := e.Refspec()
			if _, ok := retain[name]; !ok && !only[name] {
				retain[name] = -1
			}
		}
	}
	var roots []traverse.Root
	for _, e := range refs {
		if d, ok := retain[e.Refspec()]; ok {
			roots = append(roots, traverse.Root{Commit: e.Checksum, Depth: d})
			continue
		}
		if opts.KeepYoungerThan != nil {
			if err := keepYoungerThan(ctx, r, w, e.Checksum, *opts.KeepYoungerThan); err != nil {
				return nil, err
			}
			continue
		}
		roots = append(roots, traverse.Root{Commit: e.Checksum, Depth: opts.Depth})
	}
	return roots, nil
}

// keepYoungerThan keeps head and its ancestors down to the first one
// older than ts.
func keepYoungerThan(ctx context.Context, r *repo.Repo, w *traverse.Walker, head object.Checksum, ts time.Time) error {
	if err := w.Commit(ctx, head, 0); err != nil {
		return err
	}
	for c := head; !c.IsZero(); {
		cm, err := r.LoadCommit(ctx, c)
		if errors.Is(err, errdefs.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if int64(cm.Timestamp) < ts.Unix() {
			return nil
		}
		if err := w.Commit(ctx, c, 0); err != nil {
			return err
		}
		c = cm.Parent
	}
	return nil
}

// pruneUnreachable is the reference's repo_prune_internal over the
// listed objects.
func pruneUnreachable(ctx context.Context, r *repo.Repo, objects []object.Name, reachable traverse.Set, noPrune bool) (Result, error) {
	var res Result
	threshold := payloadLinkThreshold(r)
	for _, n := range objects {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		res.Total++
		if reachable.Has(n) {
			continue
		}
		size, err := r.ObjectStorageSize(n.Checksum, n.Type)
		if err != nil {
			return res, err
		}
		if !noPrune {
			if n.Type == object.TypePayloadLink {
				keep, err := keepPayloadLink(r, n.Checksum, reachable, threshold)
				if err != nil {
					return res, err
				}
				if keep {
					continue
				}
			}
			if n.Type == object.TypeCommit {
				if err := r.ClearPartial(n.Checksum); err != nil {
					return res, err
				}
			}
			if err := r.RemoveObject(ctx, n.Checksum, n.Type); err != nil {
				return res, err
			}
		}
		res.Freed += size
		res.Pruned++
	}
	return res, nil
}

func payloadLinkThreshold(r *repo.Repo) uint64 {
	v, ok := r.Config().Value("core", "payload-link-threshold")
	if !ok {
		return math.MaxUint64
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return math.MaxUint64
	}
	return n
}

// keepPayloadLink keeps a payload link whose target content object is
// kept and large enough to be linked.
func keepPayloadLink(r *repo.Repo, c object.Checksum, reachable traverse.Set, threshold uint64) (bool, error) {
	target, err := os.Readlink(r.ObjectPath(c, object.TypePayloadLink))
	if err != nil {
		return false, fmt.Errorf("readlink payload link %s: %w", c, err)
	}
	// The link reads "../XX/YYYY….file".
	const prefix = "../"
	if len(target) < len(prefix)+2+1+62 {
		return false, fmt.Errorf("invalid data size for payload link %s", c)
	}
	rest := target[len(prefix):]
	tc, err := object.ParseChecksum(rest[:2] + rest[3:65])
	if err != nil {
		return false, fmt.Errorf("payload link %s: %w", c, err)
	}
	tn := object.Name{Checksum: tc, Type: object.TypeFile}
	if !reachable.Has(tn) {
		return false, nil
	}
	size, err := r.ObjectStorageSize(tc, object.TypeFile)
	if err != nil {
		return false, err
	}
	return uint64(size) >= threshold, nil
}

// pruneSummaryCache removes cached summaries of remotes no longer
// configured (tmp/cache/summaries/REMOTE[.sig]).
func pruneSummaryCache(r *repo.Repo) error {
	dir := filepath.Join(r.Path(), "tmp", "cache", "summaries")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	remotes := map[string]bool{}
	for _, g := range r.Config().Groups() {
		var name string
		if _, err := fmt.Sscanf(g, "remote %q", &name); err == nil {
			remotes[name] = true
		}
	}
	for _, e := range ents {
		name := e.Name()
		base := name
		if len(base) > 4 && base[len(base)-4:] == ".sig" {
			base = base[:len(base)-4]
		}
		if !remotes[base] {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}
