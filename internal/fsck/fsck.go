package fsck

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/membudget"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/traverse"
)

// Options select what Run checks and repairs.
type Options struct {
	// Delete removes corrupt objects and marks the commits needing them
	// partial, instead of stopping at the first corruption.
	Delete bool
	// All reports every corrupt object instead of stopping at the first.
	All bool
	// AddTombstones replaces commits whose parent is missing by
	// tombstones (the reference's --add-tombstones).
	AddTombstones bool
	// VerifyBindings checks that each ref's commit lists the ref in its
	// ref bindings.
	VerifyBindings bool
	// VerifyBackRefs checks that every ref a commit is bound to resolves
	// to it; it implies VerifyBindings.
	VerifyBackRefs bool
	// Concurrency bounds parallel verification; 0 means NumCPU.
	Concurrency int
}

// Reporter receives what fsck has to say; the CLI renders it. Calls are
// serialized.
type Reporter interface {
	// Phase is a heading line ("Validating refs...") that --quiet hides.
	Phase(line string)
	// Info is another standard-output line.
	Info(line string)
	// Problem is a standard-error line: a missing or corrupt object, or a
	// commit being marked partial.
	Problem(line string)
	// Progress reports verified objects out of total.
	Progress(done, total int)
}

// Result summarizes a run.
type Result struct {
	// Commits is how many complete commits were verified.
	Commits int
	// Partial counts commits skipped because they were marked partial, of
	// which FsckPartial by an earlier fsck.
	Partial, FsckPartial int
	// Corrupt reports that missing or corrupt objects were found.
	Corrupt bool
}

// ErrCorruption is returned (wrapped in a reference-worded error) when
// the repository has missing or corrupt objects.
var ErrCorruption = errors.New("fsck: repository corruption")

type msgError struct {
	msg  string
	kind error
}

func (e *msgError) Error() string { return e.msg }
func (e *msgError) Unwrap() error { return e.kind }

type checker struct {
	r    *repo.Repo
	opts Options
	rep  Reporter

	mu      sync.Mutex // serializes reporting, deletion and partial marking
	corrupt bool
}

// Run verifies r. Errors that end the run early, and the final verdict
// on a damaged repository, are returned with the reference's wording.
func Run(ctx context.Context, r *repo.Repo, opts Options, rep Reporter) (Result, error) {
	membudget.LimitGo(r.Config())
	if opts.Concurrency <= 0 {
		opts.Concurrency = runtime.NumCPU()
	}
	if opts.VerifyBackRefs {
		opts.VerifyBindings = true
	}
	c := &checker{r: r, opts: opts, rep: rep}
	var res Result

	rep.Phase("Validating refs...")
	refs, err := r.ListRefs(ctx, true)
	if err != nil {
		return res, err
	}
	for _, e := range refs {
		if err := c.checkRefCommit(ctx, e.Checksum, "", e.Name); err != nil {
			return res, err
		}
	}

	rep.Phase("Validating refs in collections...")
	crefs, err := collectionRefs(ctx, r)
	if err != nil {
		return res, err
	}
	for _, e := range crefs {
		if err := c.checkRefCommit(ctx, e.Checksum, e.CollectionID, e.Name); err != nil {
			return res, err
		}
	}

	rep.Phase("Enumerating commits...")
	commits, err := listCommits(ctx, r)
	if err != nil {
		return res, err
	}
	var roots []traverse.Root
	var tombstones []object.Checksum
	for _, cs := range commits {
		st, err := r.CommitState(cs)
		if err != nil {
			return res, err
		}
		cm, err := r.LoadCommit(ctx, cs)
		if err != nil && !errors.Is(err, errdefs.ErrCorrupt) {
			return res, err
		}
		if cm != nil {
			if err := c.checkCommit(ctx, cs, cm); err != nil {
				return res, err
			}
			if opts.AddTombstones && !cm.Parent.IsZero() {
				ok, err := r.HasObject(ctx, cm.Parent, object.TypeCommit)
				if err != nil {
					return res, err
				}
				if !ok {
					tombstones = append(tombstones, cs)
				}
			}
		}
		if st.Partial {
			res.Partial++
			if st.FsckPartial {
				res.FsckPartial++
			}
			continue
		}
		roots = append(roots, traverse.Root{Commit: cs, Depth: 0})
	}
	res.Commits = len(roots)

	rep.Phase(fmt.Sprintf("Verifying content integrity of %d commit objects...", len(roots)))
	if err := c.verifyReachable(ctx, roots); err != nil {
		return res, err
	}
	res.Corrupt = c.corrupt

	if opts.AddTombstones {
		if len(tombstones) > 0 {
			if err := r.EnableTombstoneCommits(ctx); err != nil {
				return res, err
			}
		}
		for _, cs := range tombstones {
			rep.Info("Adding tombstone for commit " + cs.String())
			if err := r.RemoveObject(ctx, cs, object.TypeCommit); err != nil {
				return res, err
			}
		}
	} else if res.Partial > 0 {
		rep.Info(fmt.Sprintf("%d partial commits not verified", res.Partial))
	}
	if res.Corrupt {
		return res, &msgError{"Repository corruption encountered", ErrCorruption}
	}
	if res.FsckPartial > 0 {
		// The reference counts all partial commits in this message.
		return res, &msgError{fmt.Sprintf("%d partial commits from fsck-detected corruption", res.Partial), ErrCorruption}
	}
	rep.Info(fmt.Sprintf("object fsck of %d commits completed successfully - no errors found.", res.Commits))
	return res, nil
}

// collectionRefs lists refs with a collection ID, excluding remotes: the
// local refs under the repo's own collection ID, then refs/mirrors.
func collectionRefs(ctx context.Context, r *repo.Repo) ([]repo.RefEntry, error) {
	var out []repo.RefEntry
	if cid := r.CollectionID(); cid != "" {
		heads, err := r.ListRefs(ctx, false)
		if err != nil {
			return nil, err
		}
		for _, e := range heads {
			e.CollectionID = cid
			out = append(out, e)
		}
	}
	mirrors, err := r.ListMirrorRefs(ctx)
	if err != nil {
		return nil, err
	}
	return append(out, mirrors...), nil
}

// listCommits lists the commit objects of r and its parent repos, sorted.
func listCommits(ctx context.Context, r *repo.Repo) ([]object.Checksum, error) {
	seen := map[object.Checksum]bool{}
	var out []object.Checksum
	for x := r; x != nil; x = x.Parent() {
		err := x.ListObjects(ctx, func(n object.Name) error {
			if n.Type == object.TypeCommit && !seen[n.Checksum] {
				seen[n.Checksum] = true
				out = append(out, n.Checksum)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, nil
}

// checkRefCommit is the reference's fsck_commit_for_ref.
func (c *checker) checkRefCommit(ctx context.Context, cs object.Checksum, cid, refName string) error {
	name := object.Name{Checksum: cs, Type: object.TypeCommit}
	if err := c.checkObject(ctx, name, VerifyObject(ctx, c.r, name), nil); err != nil {
		return err
	}
	b, err := c.r.LoadMetadata(ctx, cs, object.TypeCommit)
	if err != nil {
		what := "Loading commit for ref " + refName
		if cid != "" {
			what = fmt.Sprintf("Loading commit for ref (%s, %s)", cid, refName)
		}
		if errors.Is(err, errdefs.ErrNotFound) {
			return &msgError{fmt.Sprintf("%s: No such metadata object %s", what, name), errdefs.ErrNotFound}
		}
		return &msgError{fmt.Sprintf("%s: %v", what, err), err}
	}
	if c.opts.VerifyBindings {
		cm, err := object.UnmarshalCommit(b)
		if err != nil {
			return &msgError{fmt.Sprintf("Commit %s: %v", cs, err), errdefs.ErrCorrupt}
		}
		if err := VerifyBindings(cid, refName, cm.Metadata); err != nil {
			return &msgError{fmt.Sprintf("Commit %s: %v", cs, err), errdefs.ErrInvalid}
		}
	}
	return nil
}

// checkCommit is the reference's fsck_one_commit back-reference check.
func (c *checker) checkCommit(ctx context.Context, cs object.Checksum, cm *object.Commit) error {
	if !c.opts.VerifyBackRefs {
		return nil
	}
	refs, ok := RefBindings(cm.Metadata)
	if !ok {
		return nil
	}
	cid, hasCID := cm.Metadata.String(KeyCollectionBinding)
	for _, ref := range refs {
		var target object.Checksum
		var err error
		if hasCID {
			target, err = resolveCollectionRef(ctx, c.r, cid, ref)
		} else {
			target, err = c.r.ResolveRev(ctx, ref, true)
		}
		if err != nil {
			return err
		}
		switch {
		case target.IsZero() && hasCID:
			return &msgError{fmt.Sprintf("Collection–ref (%s, %s) in bindings for commit %s does not exist", cid, ref, cs), errdefs.ErrInvalid}
		case target.IsZero():
			return &msgError{fmt.Sprintf("Ref ‘%s’ in bindings for commit %s does not exist", ref, cs), errdefs.ErrInvalid}
		case target != cs && hasCID:
			return &msgError{fmt.Sprintf("Collection–ref (%s, %s) in bindings for commit %s does not resolve to that commit", cid, ref, cs), errdefs.ErrInvalid}
		case target != cs:
			return &msgError{fmt.Sprintf("Ref ‘%s’ in bindings for commit %s does not resolve to that commit", ref, cs), errdefs.ErrInvalid}
		}
	}
	return nil
}

// resolveCollectionRef resolves (cid, ref) among local refs of the
// repo's own collection and refs/mirrors; zero when absent.
func resolveCollectionRef(ctx context.Context, r *repo.Repo, cid, ref string) (object.Checksum, error) {
	all, err := collectionRefs(ctx, r)
	if err != nil {
		return object.Checksum{}, err
	}
	for _, e := range all {
		if e.CollectionID == cid && e.Name == ref {
			return e.Checksum, nil
		}
	}
	return object.Checksum{}, nil
}

// checkObject handles the outcome of verifying one object, as the
// reference's fsck_one_object: missing objects are reported and mark the
// commits needing them partial; corrupt ones are reported and removed
// (Delete), reported (All), or end the run. commits is nil during ref
// validation.
func (c *checker) checkObject(ctx context.Context, n object.Name, verr error, commits []object.Checksum) error {
	if verr == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	list := ""
	if commits != nil {
		list = joinChecksums(commits)
	}
	missing := false
	if errors.Is(verr, errdefs.ErrNotFound) {
		if commits != nil {
			c.rep.Problem(fmt.Sprintf("Object missing in commits %s: %s", list, n))
		} else {
			c.rep.Problem(fmt.Sprintf("Object missing: %s", n))
		}
		missing = true
	} else {
		msg := verr.Error()
		if commits != nil {
			msg = fmt.Sprintf("In commits %s: %s", list, msg)
		}
		switch {
		case c.opts.Delete:
			c.rep.Problem(msg)
			_ = c.r.RemoveObject(ctx, n.Checksum, n.Type)
			missing = true
		case c.opts.All:
			c.corrupt = true
			c.rep.Problem(msg)
		default:
			return &msgError{msg, verr}
		}
	}
	if !missing {
		return nil
	}
	c.corrupt = true
	if n.Type == object.TypeCommit {
		return nil
	}
	for _, pc := range commits {
		st, err := c.r.CommitState(pc)
		if err != nil {
			return err
		}
		if !st.Partial {
			c.rep.Problem("Marking commit as partial: " + pc.String())
			if err := c.r.MarkPartial(pc, true); err != nil {
				return err
			}
		}
	}
	return nil
}

func joinChecksums(cs []object.Checksum) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.String()
	}
	return strings.Join(s, ", ")
}

// verifyReachable walks the complete commits and verifies every object
// they reach, in parallel.
func (c *checker) verifyReachable(ctx context.Context, roots []traverse.Root) error {
	w := traverse.New(c.r, traverse.Options{Tolerant: true, Concurrency: c.opts.Concurrency})
	if err := w.Walk(ctx, roots); err != nil {
		var me *traverse.MissingError
		if errors.As(err, &me) {
			return &msgError{"No such metadata object " + me.Name.String(), err}
		}
		return err
	}
	reach := w.Reachable()
	names := make([]object.Name, 0, len(reach))
	for n := range reach {
		names = append(names, n)
	}
	// Checksum order visits objects/xx directories in turn.
	sort.Slice(names, func(i, j int) bool {
		a, b := names[i].Checksum, names[j].Checksum
		if a != b {
			return string(a[:]) < string(b[:])
		}
		return names[i].Type < names[j].Type
	})
	total := len(names)
	if total == 0 {
		return nil
	}
	// A fixed pool of workers: a goroutine per object would grow a fresh
	// stack for every one.
	g, gctx := errgroup.WithContext(ctx)
	commitsOf := c.parentIndex(gctx, roots)
	work := make(chan object.Name, 256)
	done := 0
	for i := 0; i < c.opts.Concurrency; i++ {
		g.Go(func() error {
			for n := range work {
				err := VerifyObject(gctx, c.r, n)
				if err != nil && gctx.Err() != nil {
					return gctx.Err()
				}
				var commits []object.Checksum
				if err != nil {
					var perr error
					if commits, perr = commitsOf(n); perr != nil {
						return perr
					}
				}
				if err := c.checkObject(gctx, n, err, commits); err != nil {
					return err
				}
				c.mu.Lock()
				done++
				c.rep.Progress(done, total)
				c.mu.Unlock()
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(work)
		for _, n := range names {
			select {
			case work <- n:
			case <-gctx.Done():
				return nil
			}
		}
		return nil
	})
	return g.Wait()
}

// parentIndex returns a function naming the commits that reach an
// object. Which objects reference which is only needed to report a
// missing or corrupt object, and recording it for every object would
// cost more memory than the rest of the walk: it is walked again, once,
// when the first problem turns up, before anything is deleted.
func (c *checker) parentIndex(ctx context.Context, roots []traverse.Root) func(object.Name) ([]object.Checksum, error) {
	var once sync.Once
	var w *traverse.Walker
	var err error
	return func(n object.Name) ([]object.Checksum, error) {
		once.Do(func() {
			w = traverse.New(c.r, traverse.Options{Parents: true, Tolerant: true, Concurrency: c.opts.Concurrency})
			err = w.Walk(ctx, roots)
		})
		if err != nil {
			return nil, err
		}
		return w.Commits(n), nil
	}
}
