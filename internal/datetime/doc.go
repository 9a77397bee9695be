// Package datetime owns reading the free-form dates ostree's command line
// takes (commit --timestamp, prune --keep-younger-than), which libostree
// parses with gnulib's parse_datetime.
//
// Level L0: imports only the standard library.
package datetime
