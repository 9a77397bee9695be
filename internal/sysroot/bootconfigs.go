package sysroot

import "github.com/gostree/gostree/internal/bootloader"

// BootConfigs returns the BLS entries of boot version bv, sorted as the
// bootloader backends list them (highest version, the default, first).
func (s *Sysroot) BootConfigs(bv int) ([]*bootloader.Config, error) {
	return s.readBootConfigs(bv)
}
