package finder

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/repo"
)

// Finder lists the remotes that claim to serve some of a set of
// collection-refs (libostree's OstreeRepoFinder). Resolve may return
// results whose claims turn out false; Find checks them. An error means
// the finder could not look at all; Find ignores that finder, as
// libostree does.
type Finder interface {
	Resolve(ctx context.Context, refs []ref.CollectionRef, parent *repo.Repo) ([]*Result, error)
}

// Remote is where a result's refs can be pulled from.
type Remote struct {
	// Name is the configured remote's name or, for a remote a finder
	// made up (a repository on a volume), a name derived from URL and
	// Keyring.
	Name string
	URL  string
	// Keyring is the keyring file that verifies its commits:
	// "NAME.trustedkeys.gpg" of the remote whose keys are used.
	Keyring string
	// KeyringRemote, for a made-up remote, is the configured remote
	// whose keys verify it and under whose name a pull writes its refs
	// (refs/remotes/KEYRINGREMOTE/REF); "" for a configured remote.
	KeyringRemote string
}

// VerifyingRemote is the configured remote whose keys verify r.
func (r Remote) VerifyingRemote() string {
	if r.KeyringRemote != "" {
		return r.KeyringRemote
	}
	return r.Name
}

// RefCommit is one ref of a result and the commit the remote has for
// it; Commit is nil when the remote does not serve the ref's newest
// commit.
type RefCommit struct {
	Ref    ref.CollectionRef
	Commit *object.Checksum
}

// Result is a remote that serves some of the requested refs.
type Result struct {
	Remote Remote
	// Finder is the libostree type name of the finder that found it
	// ("OstreeRepoFinderConfig", "OstreeRepoFinderMount"), which
	// find-remotes prints.
	Finder string
	// Priority orders results: lower is better.
	Priority int
	// Refs are the refs the remote serves, in the order they were
	// added. After Find, every requested ref is listed.
	Refs []RefCommit
	// SummaryLastModified is the summary's ostree.summary.last-modified
	// (seconds), 0 when unknown.
	SummaryLastModified uint64

	// summary is the summary the finder read, reused by Find.
	summary []byte
}

// OrderedRefs returns Refs in the order libostree's hash table of them
// lists them, which `ostree find-remotes` prints.
func (r *Result) OrderedRefs() []RefCommit {
	keys := make([]ref.CollectionRef, len(r.Refs))
	byRef := make(map[ref.CollectionRef]*object.Checksum, len(r.Refs))
	for i, rc := range r.Refs {
		keys[i] = rc.Ref
		byRef[rc.Ref] = rc.Commit
	}
	out := make([]RefCommit, 0, len(r.Refs))
	for _, k := range hashOrder(keys) {
		out = append(out, RefCommit{Ref: k, Commit: byRef[k]})
	}
	return out
}

// Commit returns the commit r serves for cr, or nil.
func (r *Result) Commit(cr ref.CollectionRef) *object.Checksum {
	for _, rc := range r.Refs {
		if rc.Ref == cr {
			return rc.Commit
		}
	}
	return nil
}

// found counts the refs with a commit.
func (r *Result) found() int {
	n := 0
	for _, rc := range r.Refs {
		if rc.Commit != nil {
			n++
		}
	}
	return n
}

// setRef adds cr, or replaces its commit.
func (r *Result) setRef(cr ref.CollectionRef, c *object.Checksum) {
	for i := range r.Refs {
		if r.Refs[i].Ref == cr {
			r.Refs[i].Commit = c
			return
		}
	}
	r.Refs = append(r.Refs, RefCommit{Ref: cr, Commit: c})
}

// compareResults is ostree_repo_finder_result_compare: by priority, then
// older summaries first when both are known, then fewer refs, then name.
func compareResults(a, b *Result) int {
	if a.Priority != b.Priority {
		return a.Priority - b.Priority
	}
	if a.SummaryLastModified != 0 && b.SummaryLastModified != 0 && a.SummaryLastModified != b.SummaryLastModified {
		// libostree returns the 64-bit difference as a gint.
		return int(int32(uint32(a.SummaryLastModified - b.SummaryLastModified)))
	}
	if na, nb := a.found(), b.found(); na != nb {
		return na - nb
	}
	return strings.Compare(a.Remote.Name, b.Remote.Name)
}

// sortResults orders results stably, as g_ptr_array_sort does.
func sortResults(rs []*Result) {
	slices.SortStableFunc(rs, compareResults)
}

// FormatRef is how libostree prints a collection-ref: "(CID, REF)".
func FormatRef(cr ref.CollectionRef) string {
	return fmt.Sprintf("(%s, %s)", cr.CollectionID, cr.Ref)
}
