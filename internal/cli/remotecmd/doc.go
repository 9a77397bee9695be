// Package remotecmd is `ostree remote`: adding, listing and deleting
// remotes, their GPG keys, cookies, refs and summaries.
//
// A command family on level L9: imports clikit and library packages.
package remotecmd
