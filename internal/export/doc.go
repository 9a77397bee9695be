// Package export owns streaming a commit's tree as a tar archive, byte
// for byte as `ostree export` (libarchive's GNU tar writer) produces it.
//
// Level L5: imports repo, object and the standard library.
package export
