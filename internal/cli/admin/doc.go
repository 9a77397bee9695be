// Package admin is `ostree admin` (deploy, status, upgrade, kargs,
// instutil, ...) and gostree's `health`, which reads and writes the same
// deployments' health records that admin status shows.
//
// A command family on level L9: imports clikit and library packages.
package admin
