//go:build !linux

package fsverity

import (
	"crypto/sha256"
	"errors"
	"os"
)

var errNoKernel = errors.New("fs-verity is Linux-only")

// Enable reports ErrNotSupported: fs-verity exists only on Linux.
func Enable(f *os.File, p Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return newError("enable verity on", f, ErrNotSupported, errNoKernel, "")
}

// Measure reports ErrNotSupported: fs-verity exists only on Linux.
func Measure(f *os.File) ([sha256.Size]byte, error) {
	return [sha256.Size]byte{}, newError("measure verity of", f, ErrNotSupported, errNoKernel, "")
}
