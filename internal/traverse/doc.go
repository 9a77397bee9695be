// Package traverse owns the reachability walk over an OSTree object
// graph: commit → parent commits (to a depth) → root dirtree and dirmeta
// → subdirectories → content objects. It returns the set of reachable
// objects and, on request, which objects reference each one, so callers
// can name the commits a broken object belongs to.
//
// The walk follows libostree's ostree_repo_traverse_commit_with_flags:
// a missing parent commit ends a history quietly, a commit marked
// partial may lack dirtrees, and dirmeta and content objects are recorded
// without being read. Independent dirtrees load in parallel.
//
// testing.go holds helpers shared by the tests of traverse, fsck, prune
// and pull (building and damaging small object graphs).
//
// Level L4: imports repo, object, gvariant, errdefs and golang.org/x/sync
// (and testing, for testing.go).
package traverse
