// Package delta owns OSTree static deltas: the superblock, part and
// signed-superblock formats, delta names and paths, and applying parts
// into a repository transaction (the opcode interpreter and bspatch).
// Generating deltas lives here too: planning which objects go where
// (plan*), bsdiff over an SA-IS suffix array (bsdiff*), rollsum matching
// (rollsum*), part assembly and the parallel pipeline (generate*), and an
// xz/LZMA2 encoder with liblzma-like ratios (compress*). Parts are read
// by our own xz/LZMA2 decoder (decompress*), which decodes into the
// payload buffer itself instead of a separate dictionary.
//
// A delta from commit FROM to commit TO (or from nothing, a "scratch"
// delta) is a directory deltas/XX/YYYY[-ZZZZ]/ holding a superblock and
// the parts 0, 1, … (unless they are inlined into the superblock). The
// superblock embeds the TO commit and lists, for each part, the sha256
// of its file, its size and the objects it creates; objects the
// generator left out are listed as fallbacks, fetched as .filez.
//
// Level L5: imports summary, repo, sign, object, gvariant, fsx, errdefs
// and the standard library (plus golang.org/x/sync; the tests check our
// xz streams with github.com/ulikunitz/xz too).
package delta
