// Package errdefs owns the error classes that callers branch on with
// errors.Is; the CLI maps them to exit codes and messages.
//
// Level L0: standard library only.
package errdefs

import "errors"

// Error classes. Wrap them with context: fmt.Errorf("ref %s: %w", r, ErrNotFound).
var (
	ErrNotFound      = errors.New("not found")
	ErrExists        = errors.New("already exists")
	ErrInvalid       = errors.New("invalid argument")
	ErrCorrupt       = errors.New("corrupted object")
	ErrLocked        = errors.New("locked")
	ErrNoSpace       = errors.New("not enough free space")
	ErrNotSupported  = errors.New("not supported")
	ErrPartialCommit = errors.New("commit is partial")
)
