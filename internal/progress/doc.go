// Package progress reports the progress of long operations: a one-line
// bar redrawn in place on a terminal, and a stream of JSON lines for
// programs. When neither is asked for, and in particular when output is
// not a terminal, it writes nothing, so scripts see only what the
// command prints when it ends.
//
// Operations count their work in their own terms (pull.Progress); the
// command line samples those counts into a Snapshot a few times a second
// and hands it to a Reporter. docs/design/json-output.md describes the
// JSON stream as pull writes it.
//
// Level 0: it imports only the standard library and golang.org/x/sys/unix
// (to detect terminals and their width).
package progress
