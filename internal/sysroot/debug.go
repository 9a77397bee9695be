package sysroot

import (
	"os"
	"strings"
)

// DebugFlags are libostree's OSTREE_SYSROOT_DEBUG switches, which its test
// suite sets.
type DebugFlags struct {
	// MutableDeployments leaves deployment roots without the immutable
	// flag.
	MutableDeployments bool
	// TestFifreeze exercises the freeze/thaw path's error handling.
	TestFifreeze bool
	// NoXattrs copies files without xattrs.
	NoXattrs bool
	// NoDTB ignores devicetrees when looking for the kernel.
	NoDTB bool
}

// debugFlagsFromEnv parses OSTREE_SYSROOT_DEBUG (comma or space separated).
func debugFlagsFromEnv() DebugFlags {
	var f DebugFlags
	for _, k := range envFlags("OSTREE_SYSROOT_DEBUG") {
		switch k {
		case "mutable-deployments":
			f.MutableDeployments = true
		case "test-fifreeze":
			f.TestFifreeze = true
		case "no-xattrs":
			f.NoXattrs = true
		case "no-dtb":
			f.NoDTB = true
		}
	}
	return f
}

// envFlags splits a GLib debug-string variable (comma, colon, semicolon
// or space separated) into its words.
func envFlags(name string) []string {
	return strings.FieldsFunc(os.Getenv(name), func(r rune) bool {
		return r == ',' || r == ' ' || r == ':' || r == ';'
	})
}
