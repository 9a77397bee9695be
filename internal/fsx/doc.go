// Package fsx owns the low-level filesystem operations the repository and
// checkout code share: atomic replacement of small files, durable renames,
// extended attributes, ownership and timestamps of links.
//
// Level L0: imports golang.org/x/sys/unix and the standard library.
package fsx
