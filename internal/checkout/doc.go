// Package checkout owns writing a commit's tree (or a subpath of it) into
// a directory the way libostree's checkout does: hard links from bare
// repositories when the checkout mode allows, copies otherwise (owner,
// mode, xattrs and symlinks preserved as the mode requires), union and
// whiteout overlays, and the archive uncompressed-objects cache.
//
// Every name taken from a dirtree is validated again, and every write is
// relative to an open directory descriptor without following symlinks,
// so a hostile tree or a planted symlink cannot redirect writes outside
// the destination. Directories are checked out in parallel.
//
// Level L5: imports repo, object, fsx, errdefs and golang.org/x/sys/unix.
package checkout
