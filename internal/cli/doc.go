// Package cli owns the command-line interface: ostree's command tree, its
// GLib-style option parsing and help output, and the mapping of errors to
// messages and exit codes. Each command lives in cmd_<name>.go, parses its
// options, calls one library function and writes to the Env's writers.
//
// Level L9: may import every library package.
package cli
