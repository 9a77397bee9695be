// Package pull owns copying commits and the objects they need from a
// Source into a repository: refs are resolved in the source, commits are
// walked to the requested depth, every object the destination lacks is
// imported through a transaction (metadata verified against its
// checksum, content rewritten in the destination's mode and verified, or
// hard-linked when both repositories share a mode and filesystem and the
// source is trusted), and refs move only after all objects are
// published. Commits are marked partial while their trees are copied.
//
// Today the only Source is a repository on disk (LocalSource, for
// `ostree pull-local`); an HTTP fetcher will implement the same
// interface. The walk follows libostree 2022.7's ostree-repo-pull.c for
// local remotes: a stored, complete commit is not rescanned, a partial
// one is, and a missing parent commit ends a history quietly.
//
// Level L6: imports fsck (ref bindings, verification), summary
// (core.auto-update-summary), repo, object, ref, fsx, errdefs and
// golang.org/x/sync.
package pull
