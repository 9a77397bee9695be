// Package repocmd is the repository commands: cat, checkout, checksum,
// commit, config, diff, export, find-remotes, create-usb, fsck, gpg-sign,
// init, log, ls, prune, pull, pull-local, refs, reset, rev-parse, show,
// sign and summary. cli lists them; each exported function is one
// command's Setup.
//
// A command family on level L9: imports clikit and library packages.
package repocmd
