// Package delta owns OSTree static deltas: the superblock, part and
// signed-superblock formats, delta names and paths, and applying parts
// into a repository transaction (the opcode interpreter and bspatch).
// Generating deltas lives here too, in the generate* files.
//
// A delta from commit FROM to commit TO (or from nothing, a "scratch"
// delta) is a directory deltas/XX/YYYY[-ZZZZ]/ holding a superblock and
// the parts 0, 1, … (unless they are inlined into the superblock). The
// superblock embeds the TO commit and lists, for each part, the sha256
// of its file, its size and the objects it creates; objects the
// generator left out are listed as fallbacks, fetched as .filez.
//
// Level L5: imports summary, repo, object, gvariant, fsx, errdefs and
// the standard library (plus github.com/ulikunitz/xz).
package delta
