// Package fsck owns repository verification: the refs resolve to
// commits, every object reachable from a complete commit is present and
// rehashes to its name, and metadata is in normal form with valid names,
// checksums and modes. Missing or (with Delete) removed objects mark the
// commits that need them partial, so a later pull repairs them.
//
// The checks, their order and the text of every message follow
// libostree 2022.7's `ostree fsck`: scripts and libostree's test suite
// grep those messages, so the strings produced here (problem lines and
// the Error text of returned errors) are a compatibility contract and
// keep the reference's capitalization.
//
// Level L5: imports traverse, repo, object, gvariant, errdefs and
// golang.org/x/sync.
package fsck
