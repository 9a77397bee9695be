// Package serve is gostree's `serve`: the repository over HTTP.
//
// A command family on level L9: imports clikit and library packages.
package serve
