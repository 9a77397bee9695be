package sysroot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/gostree/gostree/internal/bootloader"
	"github.com/gostree/gostree/internal/gvariant"
)

// loadStaged reads /run/ostree/staged-deployment on a booted system: an
// a{sv} with the target deployment, its kernel arguments and overlay
// initrds.
func (s *Sysroot) loadStaged() error {
	s.stagedMerge = nil
	if !s.rootIsBooted {
		return nil
	}
	b, err := os.ReadFile(s.stagedPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	v, err := gvariant.Unmarshal(gvariant.MustType("a{sv}"), b)
	if err != nil {
		return fmt.Errorf("%s: %w", s.stagedPath(), err)
	}
	dict := variantDict(v)
	target, ok := dict["target"].(gvariant.Variant)
	if !ok {
		return nil
	}
	d, err := deploymentFromVariant(target.Value)
	if err != nil {
		return err
	}
	kargs := bootloader.NewConfig()
	if k, ok := dict["kargs"].(gvariant.Variant); ok {
		ka := &bootloader.KernelArgs{}
		for _, a := range anyStrings(k.Value) {
			ka.Append(a)
		}
		kargs.Set("options", ka.String())
	}
	d.BootConfig = kargs
	if o, ok := dict["overlay-initrds"].(gvariant.Variant); ok {
		d.OverlayInitrds = anyStrings(o.Value)
	}
	if err := s.loadOrigin(d); err != nil {
		return err
	}
	d.Staged = true
	if l, ok := dict[stagedKeyLocked].(gvariant.Variant); ok {
		d.FinalizationLocked, _ = l.Value.(bool)
	}
	d.Unlocked = UnlockedNone
	s.Staged = d
	if m, ok := dict["merge-deployment"].(gvariant.Variant); ok {
		s.stagedMerge = m.Value
	}
	return nil
}

func variantDict(v any) map[string]any {
	out := map[string]any{}
	items, _ := v.([]any)
	for _, it := range items {
		if e, ok := it.(gvariant.DictEntry); ok {
			if k, ok := e.Key.(string); ok {
				out[k] = e.Value
			}
		}
	}
	return out
}

func anyStrings(v any) []string {
	items, _ := v.([]any)
	var out []string
	for _, it := range items {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func deploymentFromVariant(v any) (*Deployment, error) {
	dict := variantDict(v)
	get := func(k string) (string, error) {
		if vv, ok := dict[k].(gvariant.Variant); ok {
			if s, ok := vv.Value.(string); ok {
				return s, nil
			}
		}
		return "", fmt.Errorf("Missing key: %s", k)
	}
	name, err := get("name")
	if err != nil {
		return nil, err
	}
	bootcsum, err := get("bootcsum")
	if err != nil {
		return nil, err
	}
	osname, err := get("osname")
	if err != nil {
		return nil, err
	}
	csum, serial, err := parseDeployName(name)
	if err != nil {
		return nil, err
	}
	return &Deployment{Index: -1, Stateroot: osname, Csum: csum, Serial: serial, BootCsum: bootcsum, BootSerial: -1}, nil
}
