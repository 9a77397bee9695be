package bootloader

import (
	"context"
	"fmt"
)

// Backend translates the BLS entries of a new boot version into a
// bootloader's own configuration. A Backend belongs to one sysroot and one
// write; it is not safe for concurrent use.
type Backend interface {
	// Name is the sysroot.bootloader value that selects the backend.
	Name() string
	// IsAtomic reports whether the bootloader reads the BLS entries (or a
	// file under boot/loader) directly, so that the boot/loader rename
	// switches it atomically.
	IsAtomic() bool
	// WriteConfig writes the configuration for bootversion from the
	// entries, default first, before the boot/loader swap. The entries
	// are already on disk under boot/loader.N/entries and the
	// ostree/boot.N links already point at the new deployments.
	WriteConfig(ctx context.Context, sysroot string, bootversion int, entries []*Config) error
	// PostBLSSync runs after the swap (zipl installs its boot record then).
	PostBLSSync(ctx context.Context, sysroot string, bootversion int) error
}

// backends maps sysroot.bootloader names to constructors. "auto" and
// "none" are handled by Query.
var backends = map[string]func() Backend{
	"grub2":    func() Backend { return &grub2{} },
	"syslinux": func() Backend { return syslinux{} },
	"uboot":    func() Backend { return uboot{} },
	"zipl":     func() Backend { return zipl{} },
}

// probe lists the auto-detection probes in the order libostree tries
// them; zipl is never detected, only configured.
var probe = []func(sysroot string) (Backend, bool, error){
	probeSyslinux,
	probeGrub2,
	probeUboot,
}

// Query returns the backend for a sysroot: configured is the repo's
// sysroot.bootloader ("auto", the default, detects; "none" writes BLS
// entries only and returns nil; anything else, even "", is an error).
func Query(sysroot, configured string) (Backend, error) {
	switch configured {
	case "none":
		return nil, nil
	case "auto":
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
		return nil, fmt.Errorf("Invalid bootloader configuration: '%s'", configured)
	}
	return fn(), nil
}

// ValidName reports whether v is a valid sysroot.bootloader value.
func ValidName(v string) bool {
	_, ok := backends[v]
	return ok || v == "auto" || v == "none"
}
