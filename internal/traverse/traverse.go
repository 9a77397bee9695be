package traverse

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// Store is what a walk reads. *repo.Repo implements it. Implementations
// must be safe for concurrent use; a missing object is an error wrapping
// errdefs.ErrNotFound.
type Store interface {
	LoadMetadata(ctx context.Context, c object.Checksum, t object.Type) ([]byte, error)
	CommitState(c object.Checksum) (repo.CommitState, error)
}

var _ Store = (*repo.Repo)(nil)

// Set is a set of object names.
type Set map[object.Name]struct{}

// Has reports whether n is in the set.
func (s Set) Has(n object.Name) bool { _, ok := s[n]; return ok }

// Options configure a Walker.
type Options struct {
	// CommitOnly records commit objects only and skips their trees.
	CommitOnly bool
	// Parents records which objects reference each object (see Commits).
	Parents bool
	// Tolerant records metadata objects that fail to parse without
	// descending into them, instead of failing the walk; fsck then
	// reports them as corrupt.
	Tolerant bool
	// Concurrency bounds parallel loads; 0 means runtime.NumCPU().
	Concurrency int
}

// MissingError reports a dirtree that a complete (non-partial) commit
// needs but the repository lacks.
type MissingError struct {
	Name object.Name
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("no such metadata object %s", e.Name)
}

// Unwrap classifies the error as errdefs.ErrNotFound.
func (e *MissingError) Unwrap() error { return errdefs.ErrNotFound }

// Walker accumulates the objects reachable from the commits it is given.
// Its methods may be called repeatedly to take the union of several
// walks; they must not be called concurrently with each other.
type Walker struct {
	store Store
	opts  Options

	mu        sync.Mutex
	reachable Set
	depth     map[object.Checksum]int // best remaining depth a commit was walked with
	parents   map[object.Name][]object.Name
}

// New returns a Walker over s.
func New(s Store, opts Options) *Walker {
	if opts.Concurrency <= 0 {
		opts.Concurrency = runtime.NumCPU()
	}
	w := &Walker{store: s, opts: opts, reachable: Set{}, depth: map[object.Checksum]int{}}
	if opts.Parents {
		w.parents = map[object.Name][]object.Name{}
	}
	return w
}

// Reachable returns the accumulated set. The caller must not modify it
// while walks continue.
func (w *Walker) Reachable() Set { return w.reachable }

// Root is a starting commit and how many parents to follow from it:
// 0 for the commit alone, -1 for its whole history.
type Root struct {
	Commit object.Checksum
	Depth  int
}

// Commit adds everything reachable from commit c, following maxDepth
// parents (-1 for all).
func (w *Walker) Commit(ctx context.Context, c object.Checksum, maxDepth int) error {
	return w.Walk(ctx, []Root{{c, maxDepth}})
}

// Walk adds everything reachable from the roots, walking them in
// parallel.
func (w *Walker) Walk(ctx context.Context, roots []Root) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(w.opts.Concurrency)
	var inlineErr error
	for _, r := range roots {
		r := r
		if err := spawn(g, func() error { return w.walkHistory(ctx, g, r.Commit, r.Depth) }); err != nil {
			inlineErr = err
			cancel()
			break
		}
	}
	err := g.Wait()
	if inlineErr != nil {
		return inlineErr
	}
	return err
}

// spawn runs fn on the group when a slot is free, or inline otherwise, so
// that recursive spawning can never deadlock on the limit. An inline
// run's error is returned to the caller.
func spawn(g *errgroup.Group, fn func() error) error {
	if g.TryGo(fn) {
		return nil
	}
	return fn()
}

// deeper reports whether remaining depth d improves on old (-1 is
// unlimited).
func deeper(d, old int) bool {
	if old < 0 {
		return false
	}
	return d < 0 || d > old
}

func (w *Walker) walkHistory(ctx context.Context, g *errgroup.Group, c object.Checksum, depth int) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		key := object.Name{Checksum: c, Type: object.TypeCommit}
		w.mu.Lock()
		old, seen := w.depth[c]
		if seen && !deeper(depth, old) {
			w.mu.Unlock()
			return nil
		}
		w.mu.Unlock()

		b, err := w.store.LoadMetadata(ctx, c, object.TypeCommit)
		if errors.Is(err, errdefs.ErrNotFound) {
			// Histories commonly end at a commit that was never pulled.
			return nil
		}
		if err != nil {
			return err
		}
		w.mu.Lock()
		old, seen = w.depth[c]
		if seen && !deeper(depth, old) {
			w.mu.Unlock()
			return nil
		}
		w.depth[c] = depth
		w.reachable[key] = struct{}{}
		w.mu.Unlock()

		cm, err := object.UnmarshalCommit(b)
		if err != nil {
			if w.opts.Tolerant {
				return nil
			}
			return fmt.Errorf("commit %s: %w: %v", c, errdefs.ErrCorrupt, err)
		}
		if !seen && !w.opts.CommitOnly {
			st, err := w.store.CommitState(c)
			if err != nil {
				return err
			}
			root := cm.RootTree
			meta := cm.RootMeta
			partial := st.Partial
			if err := spawn(g, func() error { return w.walkRoot(ctx, g, key, root, meta, partial) }); err != nil {
				return err
			}
		}
		if cm.Parent.IsZero() || depth == 0 {
			return nil
		}
		if depth > 0 {
			depth--
		}
		c = cm.Parent
	}
}

// walkRoot loads a commit's root dirtree before recording it, as
// libostree's traversal iterator does: a partial commit lacking its root
// contributes nothing more.
func (w *Walker) walkRoot(ctx context.Context, g *errgroup.Group, commit object.Name, tree, meta object.Checksum, partial bool) error {
	treeKey := object.Name{Checksum: tree, Type: object.TypeDirTree}
	metaKey := object.Name{Checksum: meta, Type: object.TypeDirMeta}
	dt, ok, err := w.loadTree(ctx, tree, partial)
	if err != nil || !ok && dt == nil {
		return err
	}
	w.mu.Lock()
	w.addLocked(metaKey, commit)
	w.addParentLocked(treeKey, commit)
	_, seen := w.reachable[treeKey]
	w.reachable[treeKey] = struct{}{}
	w.mu.Unlock()
	if seen || !ok {
		return nil
	}
	return w.walkEntries(ctx, g, treeKey, dt, partial)
}

// loadTree loads and parses a dirtree. ok is false when a partial commit
// lacks it; a tolerant walk returns ok false with a non-nil empty tree
// when it cannot be parsed, so the object is still recorded.
func (w *Walker) loadTree(ctx context.Context, c object.Checksum, partial bool) (*object.DirTree, bool, error) {
	b, err := w.store.LoadMetadata(ctx, c, object.TypeDirTree)
	if errors.Is(err, errdefs.ErrNotFound) {
		if partial {
			return nil, false, nil
		}
		return nil, false, &MissingError{Name: object.Name{Checksum: c, Type: object.TypeDirTree}}
	}
	if err != nil {
		return nil, false, err
	}
	dt, err := object.UnmarshalDirTree(b)
	if err != nil {
		if w.opts.Tolerant {
			return &object.DirTree{}, false, nil
		}
		return nil, false, fmt.Errorf("dirtree %s: %w: %v", c, errdefs.ErrCorrupt, err)
	}
	return &dt, true, nil
}

func (w *Walker) walkTree(ctx context.Context, g *errgroup.Group, key object.Name, partial bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dt, ok, err := w.loadTree(ctx, key.Checksum, partial)
	if err != nil || !ok {
		return err
	}
	return w.walkEntries(ctx, g, key, dt, partial)
}

func (w *Walker) walkEntries(ctx context.Context, g *errgroup.Group, key object.Name, dt *object.DirTree, partial bool) error {
	var todo []object.Name
	w.mu.Lock()
	for _, f := range dt.Files {
		w.addLocked(object.Name{Checksum: f.Checksum, Type: object.TypeFile}, key)
	}
	for _, d := range dt.Dirs {
		w.addLocked(object.Name{Checksum: d.Meta, Type: object.TypeDirMeta}, key)
		sub := object.Name{Checksum: d.Tree, Type: object.TypeDirTree}
		w.addParentLocked(sub, key)
		if _, seen := w.reachable[sub]; !seen {
			w.reachable[sub] = struct{}{}
			todo = append(todo, sub)
		}
	}
	w.mu.Unlock()
	for _, sub := range todo {
		sub := sub
		if err := spawn(g, func() error { return w.walkTree(ctx, g, sub, partial) }); err != nil {
			return err
		}
	}
	return nil
}

func (w *Walker) addLocked(n, parent object.Name) {
	w.reachable[n] = struct{}{}
	w.addParentLocked(n, parent)
}

func (w *Walker) addParentLocked(n, parent object.Name) {
	if w.parents == nil {
		return
	}
	ps := w.parents[n]
	for _, p := range ps {
		if p == parent {
			return
		}
	}
	w.parents[n] = append(ps, parent)
}

// Commits returns the commits that reach n through the recorded parents
// (Options.Parents), sorted; a commit returns itself.
func (w *Walker) Commits(n object.Name) []object.Checksum {
	w.mu.Lock()
	defer w.mu.Unlock()
	found := map[object.Checksum]bool{}
	seen := map[object.Name]bool{}
	var visit func(object.Name)
	visit = func(x object.Name) {
		if seen[x] {
			return
		}
		seen[x] = true
		if x.Type == object.TypeCommit {
			found[x.Checksum] = true
			return
		}
		for _, p := range w.parents[x] {
			visit(p)
		}
	}
	visit(n)
	out := make([]object.Checksum, 0, len(found))
	for c := range found {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Commit walks from one commit and returns the reachable set.
func Commit(ctx context.Context, s Store, c object.Checksum, maxDepth int, opts Options) (Set, error) {
	w := New(s, opts)
	if err := w.Commit(ctx, c, maxDepth); err != nil {
		return nil, err
	}
	return w.Reachable(), nil
}
