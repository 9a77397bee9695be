// Package cli is gostree's command line: Main and MainAs, the root of
// ostree's command tree assembled from the command families, version
// printing and the lookup of ostree-NAME extension programs.
//
// The machinery (commands, GLib-style option parsing and help, errors and
// exit codes) is in clikit; each family of commands is a folder of its
// own (admin, repocmd, remotecmd, staticdelta, composefscmd, serve) that
// imports clikit and library packages, never another family.
//
// Level L9: may import every library package.
package cli
