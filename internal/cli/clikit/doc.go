// Package clikit is the command line's machinery: Command, Option and
// Invocation, the GLib-compatible option parser, help text (with the Own
// marks for gostree's own commands and options), usage and exit errors,
// and the helpers several command families share (sysroot opening, size
// formatting, metadata dumps, GPG verification, errno wording).
//
// Level L9, below the command families: imports only library packages.
package clikit
