// Package datetime owns reading the free-form dates ostree's command line
// takes (commit --timestamp, prune --keep-younger-than), which libostree
// parses with gnulib's parse_datetime.
//
// It also formats dates as libostree prints them (GLib's "%c").
//
// Level L0: imports only the standard library.
package datetime
