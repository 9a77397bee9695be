// Package staticdelta is `ostree static-delta`: listing, showing,
// generating, applying, verifying and indexing static deltas.
//
// A command family on level L9: imports clikit and library packages.
package staticdelta
