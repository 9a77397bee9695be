package prepareroot

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/gostree/gostree/internal/keyfile"
)

// ConfigFiles are the prepare-root.conf files of the initramfs, in load
// order: a key in a later file wins.
var ConfigFiles = []string{"usr/lib/ostree/prepare-root.conf", "etc/ostree/prepare-root.conf"}

// repoConfigRel is the system repository's config, whose [sysroot]
// readonly key predates prepare-root.conf.
const repoConfigRel = "ostree/repo/config"

// Config is the root setup prepare-root.conf asks for.
type Config struct {
	SysrootReadonly bool // [sysroot] readonly: the physical root is mounted read-only
	EtcTransient    bool // [etc] transient: /etc is an overlay whose changes live in /run
	// Composefs is the [composefs] enabled value that was accepted: "no",
	// or "maybe", which without composefs support means no.
	Composefs string
}

// confSource is a loaded config file and where it came from.
type confSource struct {
	path string
	kf   *keyfile.File
}

// LoadConfig reads the prepare-root.conf files under root (the initramfs
// root) and, for a readonly key they do not set, the sysroot's repo config.
// cmdline may override [composefs] enabled with ostree.prepare-root.composefs=.
func LoadConfig(root, sysroot, cmdline string) (Config, error) {
	var srcs []confSource
	for _, rel := range ConfigFiles {
		p := filepath.Join(root, rel)
		kf, err := loadKeyfile(p)
		if err != nil {
			return Config{}, err
		}
		if kf != nil {
			srcs = append(srcs, confSource{p, kf})
		}
	}
	var c Config
	var err error
	if c.EtcTransient, err = confBool(srcs, "etc", "transient"); err != nil {
		return c, err
	}
	rootTransient, err := confBool(srcs, "root", "transient")
	if err != nil {
		return c, err
	}
	if c.Composefs, err = composefsMode(srcs, cmdline); err != nil {
		return c, err
	}
	if rootTransient {
		return c, fmt.Errorf("%s: [root] transient=true: root.transient requires composefs", winner(srcs, "root", "transient").path)
	}
	if winner(srcs, "sysroot", "readonly") != nil {
		c.SysrootReadonly, err = confBool(srcs, "sysroot", "readonly")
		return c, err
	}
	// The legacy switch lives in the repo config on the physical root.
	p := filepath.Join(sysroot, repoConfigRel)
	kf, err := loadKeyfile(p)
	if err != nil || kf == nil {
		return c, err
	}
	c.SysrootReadonly, err = confBool([]confSource{{p, kf}}, "sysroot", "readonly")
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

// winner is the last source that sets group.key, or nil.
func winner(srcs []confSource, group, key string) *confSource {
	for i := len(srcs) - 1; i >= 0; i-- {
		if srcs[i].kf.Has(group, key) {
			return &srcs[i]
		}
	}
	return nil
}

// confBool reads a GLib boolean, false when no source sets it.
func confBool(srcs []confSource, group, key string) (bool, error) {
	s := winner(srcs, group, key)
	if s == nil {
		return false, nil
	}
	v, err := s.kf.Bool(group, key, false)
	if err != nil {
		raw, _ := s.kf.Value(group, key)
		return false, fmt.Errorf("%s: [%s] %s=%s: not a boolean (true, false, 1 or 0)", s.path, group, key, raw)
	}
	return v, nil
}

// composefsMode validates [composefs] enabled (or its kernel argument) and
// refuses the modes that need composefs, which gostree cannot mount yet.
func composefsMode(srcs []confSource, cmdline string) (string, error) {
	where, raw := "", "no"
	if s := winner(srcs, "composefs", "enabled"); s != nil {
		raw, _ = s.kf.String("composefs", "enabled")
		where = fmt.Sprintf("%s: [composefs] enabled=%s", s.path, raw)
	}
	if v, ok := kargValue(cmdline, "ostree.prepare-root.composefs"); ok {
		raw, where = v, "kernel argument ostree.prepare-root.composefs="+v
	}
	switch raw {
	case "no", "false", "0":
		return "no", nil
	case "maybe", "auto":
		return "maybe", nil
	case "yes", "true", "1", "signed", "verity":
		return "", fmt.Errorf("%s: composefs is not supported yet", where)
	}
	return "", fmt.Errorf("%s: not one of yes, no, maybe, signed, verity", where)
}
