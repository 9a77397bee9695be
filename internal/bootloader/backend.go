package bootloader

import (
	"context"
	"fmt"
)

// Backend translates the BLS entries of a new boot version into a
// bootloader's own configuration.
type Backend interface {
	// Name is the sysroot.bootloader value that selects the backend.
	Name() string
	// IsAtomic reports whether the bootloader reads the BLS entries (or a
	// file under boot/loader) directly, so that the boot/loader rename
	// switches it atomically.
	IsAtomic() bool
	// WriteConfig writes the configuration for bootversion from the
	// entries, default first, before the boot/loader swap.
	WriteConfig(ctx context.Context, sysroot string, bootversion int, entries []*Config) error
	// PostBLSSync runs after the swap (grub2 regenerates its file then).
	PostBLSSync(ctx context.Context, sysroot string, bootversion int) error
}

// backends maps sysroot.bootloader names to constructors; backend files
// register themselves.
var backends = map[string]func() Backend{}

func register(name string, fn func() Backend) { backends[name] = fn }

// probe lists the backends in the order auto-detection tries them.
var probe []func(sysroot string) (Backend, bool, error)

// Query returns the backend for a sysroot: configured is the repo's
// sysroot.bootloader ("" or "auto" detects, "none" writes BLS only and
// returns nil).
func Query(sysroot, configured string) (Backend, error) {
	switch configured {
	case "none":
		return nil, nil
	case "", "auto":
		for _, p := range probe {
			b, ok, err := p(sysroot)
			if err != nil {
				return nil, err
			}
			if ok {
				return b, nil
			}
		}
		return nil, nil
	}
	fn, ok := backends[configured]
	if !ok {
		return nil, fmt.Errorf("Invalid bootloader type: %s", configured)
	}
	return fn(), nil
}
