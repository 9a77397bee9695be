// Package composefscmd is gostree's `composefs` commands and the
// mkcomposefs and composefs-info tools the binary also answers as.
//
// A command family on level L9: imports clikit and library packages.
package composefscmd
