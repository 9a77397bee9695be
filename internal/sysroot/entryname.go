package sysroot

import (
	"fmt"
	"os"
)

// GlobalOpts are libostree's OSTREE_SYSROOT_OPTS switches. Only the entry
// naming changes what gostree writes; the others are accepted so that a
// script setting them gets what it asked for or nothing worse.
type GlobalOpts struct {
	// OldEntryNames writes BLS entries as "ostree-N-STATEROOT.conf", as
	// libostree did before 2024.5 ("bootloader-naming-1"). The default is
	// "ostree-N.conf": GRUB's blscfg sorts by file name and ignores the
	// version field, so the stateroot in the name reordered the menu.
	OldEntryNames bool
	// Compat2022 keeps libostree 2022.7's output where 2025.2 changed it
	// and nothing else tells them apart (GOSTREE_LIBOSTREE_COMPAT=2022.7;
	// docs/conformance-2025.md lists the cases): BLS entries without
	// the aboot and abootcfg keys, deployments without .ostree.cfs.
	Compat2022 bool
}

// globalOptsFromEnv parses OSTREE_SYSROOT_OPTS and GOSTREE_LIBOSTREE_COMPAT.
func globalOptsFromEnv() GlobalOpts {
	var o GlobalOpts
	for _, k := range envFlags("OSTREE_SYSROOT_OPTS") {
		if k == "bootloader-naming-1" {
			o.OldEntryNames = true
		}
	}
	o.Compat2022 = os.Getenv("GOSTREE_LIBOSTREE_COMPAT") == "2022.7"
	return o
}

// entryStem is the counter-less file name (without ".conf") of the entry
// for the deployment at index of n, in the naming s writes.
func (s *Sysroot) entryStem(n, index int, stateroot string) string {
	if s.Opts.OldEntryNames {
		return fmt.Sprintf("ostree-%d-%s", n-index, stateroot)
	}
	return fmt.Sprintf("ostree-%d", n-index)
}

// loadedStem is the counter-less name of the file a loaded entry was read
// from, whichever naming wrote it; "" for an entry not read from disk.
func loadedStem(file string) string {
	if file == "" {
		return ""
	}
	return parseEntryName(file).base
}
