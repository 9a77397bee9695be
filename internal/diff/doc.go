// Package diff owns comparing two trees, each a commit in a repository
// or a directory on disk, the way `ostree diff` does: files are matched
// by name and compared by content checksum (computed for files on disk
// as a commit would name them), directories by their dirmeta.
//
// Level L5: imports repo, object, fsx, errdefs and golang.org/x/sys/unix.
package diff
