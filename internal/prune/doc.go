// Package prune owns deleting what a repository no longer needs: loose
// objects unreachable from the kept commits, single commits on request,
// static deltas whose target commit is gone, and cached summaries of
// removed remotes. It holds the repository lock exclusively while it
// deletes.
//
// What is kept follows libostree 2022.7's `ostree prune`: every commit
// stored locally (or, with RefsOnly, every ref — local, remote and
// collection refs, which include deployment refs under ostree/ — to a
// depth) is walked with package traverse, and every listed object outside
// that set is deleted. Deleted commits lose their .commitpartial marker
// and detached metadata, and leave a tombstone when
// core.tombstone-commits is on.
//
// Level L5: imports traverse, repo, object, ref, keyfile, errdefs.
package prune
