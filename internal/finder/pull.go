package finder

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/repo"
)

// PullError reports the refs that no result delivered.
type PullError struct {
	// Refs are the refs that failed, in the order libostree lists them.
	Refs []ref.CollectionRef
	// Errs are the errors of the failed pulls.
	Errs []error
}

func (e *PullError) Error() string {
	s := make([]string, len(e.Refs))
	for i, r := range e.Refs {
		s[i] = FormatRef(r)
	}
	return "Failed to pull some refs from the remotes: " + strings.Join(s, ", ")
}

// Unwrap returns the pull errors.
func (e *PullError) Unwrap() []error { return e.Errs }

// Pull is ostree_repo_pull_from_remotes: it pulls the refs of results
// (as Find returns them, best first) pinned to the commits Find chose,
// untrusted and GPG-verified with the keys of the remote that verifies
// each result. A ref that fails from one result is tried from the next
// one that has it; a *PullError names those that failed everywhere. With
// opts.Remote.Mirror the refs are written as collection refs (refs/heads
// for the repository's own collection, refs/mirrors otherwise); without,
// as refs/remotes/REMOTE/REF, REMOTE being the verifying remote.
func Pull(ctx context.Context, dst *repo.Repo, results []*Result, opts Options) error {
	pulled := map[ref.CollectionRef]bool{}
	var order []ref.CollectionRef
	var errs []error
	for _, res := range results {
		var batch []RefCommit
		for _, rc := range res.OrderedRefs() {
			if rc.Commit != nil && !pulled[rc.Ref] {
				batch = append(batch, rc)
			}
		}
		if len(batch) == 0 {
			continue
		}
		err := pullResult(ctx, dst, res, batch, opts)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for _, rc := range batch {
			if _, seen := pulled[rc.Ref]; !seen {
				order = append(order, rc.Ref)
			}
			pulled[rc.Ref] = err == nil
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("remote %s: %w", res.Remote.Name, err))
		}
	}
	var failed []ref.CollectionRef
	for _, r := range hashOrder(order) {
		if !pulled[r] {
			failed = append(failed, r)
		}
	}
	if len(failed) > 0 {
		return &PullError{Refs: failed, Errs: errs}
	}
	return nil
}

// pullResult pulls refs from one result.
func pullResult(ctx context.Context, dst *repo.Repo, res *Result, refs []RefCommit, opts Options) error {
	o := opts.Remote
	o.Untrusted = true
	o.DisableVerifyBindings = false
	o.VerifyCommit = func(ctx context.Context, c object.Checksum, commit, detached []byte) error {
		return verifyCommit(ctx, res.Remote, c, commit, detached, opts)
	}
	if res.Remote.KeyringRemote == "" {
		return pullPinned(refs, &o.Options, func(po pull.Options) error {
			o.Options = po
			_, err := pull.PullRemote(ctx, dst, res.Remote.Name, o)
			return err
		})
	}
	u, err := url.Parse(res.Remote.URL)
	if err != nil || u.Scheme != "file" {
		return fmt.Errorf("remote %s: only file:// repositories found on volumes can be pulled: %w", res.Remote.Name, errdefs.ErrNotSupported)
	}
	src, err := repo.Open(ctx, u.Path)
	if err != nil {
		return err
	}
	o.Remote = res.Remote.KeyringRemote
	return pullPinned(refs, &o.Options, func(po pull.Options) error {
		_, err := pull.Pull(ctx, dst, pull.NewLocalSource(src), po)
		return err
	})
}

// pullPinned runs pull once per batch of refs with distinct names (a
// pull names refs without their collection), each ref pinned to its
// commit and tagged with its collection.
func pullPinned(refs []RefCommit, base *pull.Options, run func(pull.Options) error) error {
	var errs []error
	for len(refs) > 0 {
		o := *base
		o.Refs = nil
		o.Overrides = map[string]object.Checksum{}
		o.Collections = map[string]string{}
		var rest []RefCommit
		for _, rc := range refs {
			if _, dup := o.Overrides[rc.Ref.Ref]; dup {
				rest = append(rest, rc)
				continue
			}
			o.Refs = append(o.Refs, rc.Ref.Ref)
			o.Overrides[rc.Ref.Ref] = *rc.Commit
			o.Collections[rc.Ref.Ref] = rc.Ref.CollectionID
		}
		if err := run(o); err != nil {
			errs = append(errs, err)
		}
		refs = rest
	}
	return errors.Join(errs...)
}
