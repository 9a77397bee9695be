package prepareroot

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/gostree/gostree/internal/keyfile"
)

// ConfigFiles are the prepare-root.conf files of the initramfs, in load
// order. As with libostree, which loads both into one GKeyFile that each
// load clears, the last one that exists is the whole config: an
// /etc/ostree/prepare-root.conf replaces the /usr/lib one, keys and all.
var ConfigFiles = []string{"usr/lib/ostree/prepare-root.conf", "etc/ostree/prepare-root.conf"}

// repoConfigRel is the system repository's config, whose [sysroot]
// readonly key predates prepare-root.conf.
const repoConfigRel = "ostree/repo/config"

// DefaultKeypath is where [composefs] keypath points when unset: the
// Ed25519 public keys a signed composefs commit must verify with.
const DefaultKeypath = "/etc/ostree/initramfs-root-binding.key"

// The [composefs] enabled tristate, after the kernel argument is applied.
const (
	ComposefsNo    = "no"
	ComposefsMaybe = "maybe" // mount the image if the deployment has one
	ComposefsYes   = "yes"   // mount it or fail; "verity" and "signed" imply it
)

// Config is the root setup prepare-root.conf and the kernel command line
// ask for.
type Config struct {
	SysrootReadonly bool   // [sysroot] readonly: the physical root is mounted read-only
	EtcTransient    bool   // [etc] transient: /etc is an overlay whose changes live in /run
	RootTransient   bool   // [root] transient or transient-ro: / has a tmpfs upper (composefs only)
	RootTransientRO bool   // [root] transient-ro: that overlay is mounted read-only
	Composefs       string // ComposefsNo, ComposefsMaybe or ComposefsYes
	Verity          bool   // enabled=verity or signed: the overlay requires fs-verity on every object
	Signed          bool   // enabled=signed: the commit's signature and the image's digest are checked
	Keypath         string // [composefs] keypath, read when Signed
}

// confSource is a loaded config file and where it came from.
type confSource struct {
	path string
	kf   *keyfile.File
}

// LoadConfig reads the prepare-root.conf files under root (the initramfs
// root) and, when they leave the physical root writable and composefs is
// not required, the sysroot's repo config. cmdline may override
// [composefs] enabled with ostree.prepare-root.composefs=.
func LoadConfig(root, sysroot, cmdline string) (Config, error) {
	src := &confSource{kf: keyfile.New()}
	for _, rel := range ConfigFiles {
		p := filepath.Join(root, rel)
		kf, err := loadKeyfile(p)
		if err != nil {
			return Config{}, err
		}
		if kf != nil {
			src = &confSource{p, kf}
		}
	}
	var c Config
	var err error
	if c.EtcTransient, err = src.bool("etc", "transient"); err != nil {
		return c, err
	}
	if c.RootTransient, err = src.bool("root", "transient"); err != nil {
		return c, err
	}
	if c.RootTransientRO, err = src.bool("root", "transient-ro"); err != nil {
		return c, err
	}
	if c.RootTransient && c.RootTransientRO {
		return c, fmt.Errorf("%s: cannot set both [root] transient and transient-ro", src.path)
	}
	c.RootTransient = c.RootTransient || c.RootTransientRO
	if err := c.composefsMode(src, cmdline); err != nil {
		return c, err
	}
	c.Keypath = DefaultKeypath
	if v, ok := src.kf.Value("composefs", "keypath"); ok {
		c.Keypath = v
	}
	if c.RootTransient && c.Composefs == ComposefsNo {
		key := "transient"
		if c.RootTransientRO {
			key = "transient-ro"
		}
		return c, fmt.Errorf("%s: [root] %s=true: root.transient requires composefs", src.path, key)
	}
	// composefs=yes makes a read-only physical root the default.
	c.SysrootReadonly = c.Composefs == ComposefsYes
	if src.kf.Has("sysroot", "readonly") {
		if c.SysrootReadonly, err = src.bool("sysroot", "readonly"); err != nil {
			return c, err
		}
	}
	if c.SysrootReadonly || c.Composefs == ComposefsYes {
		return c, nil
	}
	// The legacy switch lives in the repo config on the physical root,
	// which is not consulted when composefs is to vouch for that root.
	p := filepath.Join(sysroot, repoConfigRel)
	kf, err := loadKeyfile(p)
	if err != nil || kf == nil {
		return c, err
	}
	c.SysrootReadonly, err = (&confSource{p, kf}).bool("sysroot", "readonly")
	return c, err
}

// loadKeyfile parses the key file at p; nil, nil when there is none.
func loadKeyfile(p string) (*keyfile.File, error) {
	b, err := readFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	kf, err := keyfile.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return kf, nil
}

// bool reads a GLib boolean, false when unset.
func (s *confSource) bool(group, key string) (bool, error) {
	v, err := s.kf.Bool(group, key, false)
	if err != nil {
		raw, _ := s.kf.Value(group, key)
		return false, fmt.Errorf("%s: [%s] %s=%s: not a boolean (true, false, 1 or 0)", s.path, group, key, raw)
	}
	return v, nil
}

// composefsMode reads [composefs] enabled into c and applies the kernel
// argument over it as libostree does: the file takes "signed", "verity" or
// a tristate; the command line "signed" or a tristate, which turns signing
// off but leaves a verity requirement from the file in place.
func (c *Config) composefsMode(src *confSource, cmdline string) error {
	c.Composefs = ComposefsNo
	if raw, ok := src.kf.Value("composefs", "enabled"); ok {
		switch raw {
		case "signed":
			c.Composefs, c.Verity, c.Signed = ComposefsYes, true, true
		case "verity":
			c.Composefs, c.Verity = ComposefsYes, true
		default:
			if c.Composefs, ok = tristate(strings.TrimSpace(raw)); !ok {
				return fmt.Errorf("%s: [composefs] enabled=%s: not one of yes, no, maybe, true, false, 1, 0, verity or signed", src.path, raw)
			}
		}
	}
	v, ok := kargValue(cmdline, "ostree.prepare-root.composefs")
	switch {
	case !ok:
	case v == "signed":
		c.Composefs, c.Verity, c.Signed = ComposefsYes, true, true
	default:
		c.Signed = false
		if c.Composefs, ok = tristate(v); !ok {
			return fmt.Errorf("kernel argument ostree.prepare-root.composefs=%s: not one of yes, no, maybe, true, false, 1, 0 or signed", v)
		}
	}
	c.Verity = c.Verity && c.Composefs != ComposefsNo
	return nil
}

// tristate parses libostree's tristate words.
func tristate(s string) (string, bool) {
	switch s {
	case "yes", "true", "1":
		return ComposefsYes, true
	case "no", "false", "0":
		return ComposefsNo, true
	case "maybe":
		return ComposefsMaybe, true
	}
	return "", false
}
