package prepareroot

import (
	"fmt"

	"github.com/gostree/gostree/internal/gvariant"
)

// BootedFile is /run/ostree-booted relative to the run directory. Its
// existence says "booted from an ostree deployment"; its content, an a{sv}
// GVariant as libostree has written since 2023.6, describes the root setup.
const BootedFile = "ostree-booted"

// SysrootROStamp is the flag file libostree 2022.7's ostree-remount reads
// (and deletes) to learn that the physical root stays read-only.
const SysrootROStamp = "ostree-sysroot-ro.stamp"

// Keys of the a{sv} in BootedFile, as libostree names them.
const (
	keyBackingRoot     = "backing-root-device-inode"
	keySysrootRO       = "sysroot-ro"
	keyTransientEtc    = "transient-etc"
	keyRootTransient   = "root.transient"
	keyRootTransientRO = "root.transient-ro"
	keyComposefs       = "composefs"
	keyComposefsVerity = "composefs.verity"
	keyComposefsSigned = "composefs.signed"
)

var bootedType = gvariant.MustType("a{sv}")

// Booted is what BootedFile records about the root setup.
type Booted struct {
	Dev, Ino        uint64 // device and inode of the deployment directory
	SysrootRO       bool
	TransientEtc    string // directory holding the /etc overlay's upper and work dirs, or ""
	RootTransient   bool
	RootTransientRO bool
	Composefs       bool   // the root is a composefs overlay
	ComposefsVerity bool   // ... that requires fs-verity on every object
	ComposefsSigned string // the key file the commit's signature verified with, or ""
}

// Marshal encodes b as the a{sv} libostree readers expect, with the keys
// in the order libostree 2025 writes them: the composefs ones only when
// composefs was mounted, composefs.signed only when a signature verified.
func (b Booted) Marshal() ([]byte, error) {
	entry := func(k, typ string, v any) any {
		return gvariant.DictEntry{Key: k, Value: gvariant.NewVariant(typ, v)}
	}
	d := []any{
		entry(keyBackingRoot, "(tt)", []any{b.Dev, b.Ino}),
		entry(keyRootTransient, "b", b.RootTransient),
		entry(keyRootTransientRO, "b", b.RootTransientRO),
	}
	if b.ComposefsSigned != "" {
		d = append(d, entry(keyComposefsSigned, "s", b.ComposefsSigned))
	}
	if b.Composefs {
		d = append(d, entry(keyComposefs, "b", true), entry(keyComposefsVerity, "b", b.ComposefsVerity))
	}
	d = append(d, entry(keySysrootRO, "b", b.SysrootRO))
	if b.TransientEtc != "" {
		d = append(d, entry(keyTransientEtc, "s", b.TransientEtc))
	}
	return gvariant.Marshal(bootedType, d)
}

// ParseBooted decodes BootedFile. An empty file, as libostree 2022.7 and
// the systemd generator leave, decodes to the zero Booted.
func ParseBooted(data []byte) (Booted, error) {
	var b Booted
	if len(data) == 0 {
		return b, nil
	}
	v, err := gvariant.Unmarshal(bootedType, data)
	if err != nil {
		return b, fmt.Errorf("%s: %w", BootedFile, err)
	}
	dict, _ := v.([]any)
	if x, ok := gvariant.Lookup(dict, keyBackingRoot); ok && x.Type.String() == "(tt)" {
		f := x.Value.([]any)
		b.Dev, b.Ino = f[0].(uint64), f[1].(uint64)
	}
	b.SysrootRO = lookupBool(dict, keySysrootRO)
	b.RootTransient = lookupBool(dict, keyRootTransient)
	b.RootTransientRO = lookupBool(dict, keyRootTransientRO)
	b.Composefs = lookupBool(dict, keyComposefs)
	b.ComposefsVerity = b.Composefs && lookupBool(dict, keyComposefsVerity)
	b.TransientEtc = lookupString(dict, keyTransientEtc)
	b.ComposefsSigned = lookupString(dict, keyComposefsSigned)
	return b, nil
}

func lookupString(dict []any, key string) string {
	x, ok := gvariant.Lookup(dict, key)
	if !ok || x.Type.String() != "s" {
		return ""
	}
	return x.Value.(string)
}

func lookupBool(dict []any, key string) bool {
	x, ok := gvariant.Lookup(dict, key)
	if !ok || x.Type.String() != "b" {
		return false
	}
	return x.Value.(bool)
}
