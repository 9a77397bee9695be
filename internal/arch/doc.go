// Package arch holds no code: its test enforces the import layering of
// docs/design/layering.md, so that imports only flow downward.
package arch
