// Package object owns OSTree's object model: checksums, object types and
// the byte formats of commits, dirtrees, dirmetas, file headers (content,
// archive .filez and bare-user metadata), detached metadata and
// tombstones, with the validation libostree applies to each.
//
// Level L1: imports gvariant, the standard library and
// github.com/klauspost/compress/flate (a faster inflater).
package object
