package boot

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// BootEntry is a BLS entry of a sysroot folder, with host paths.
type BootEntry struct {
	Version int
	Linux   string // host path of the kernel
	Initrd  string // host path of the initramfs
	Options string
}

// DefaultBootEntry reads the entry a loader would boot first: the highest
// version under sysroot/boot/loader/entries.
func DefaultBootEntry(sysroot string) (*BootEntry, error) {
	files, err := filepath.Glob(filepath.Join(sysroot, "boot/loader/entries/*.conf"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("boot entries in %s/boot/loader/entries: none found", sysroot)
	}
	var best *BootEntry
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		e := &BootEntry{}
		for _, l := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(l, " ")
			v = strings.TrimSpace(v)
			switch k {
			case "version":
				if e.Version, err = strconv.Atoi(v); err != nil {
					return nil, fmt.Errorf("boot entry %s: version %q: %w", f, v, err)
				}
			case "linux":
				e.Linux = filepath.Join(sysroot, "boot", v)
			case "initrd":
				e.Initrd = filepath.Join(sysroot, "boot", v)
			case "options":
				e.Options = v
			}
		}
		if e.Linux == "" || e.Initrd == "" || e.Options == "" {
			return nil, fmt.Errorf("boot entry %s: linux, initrd or options missing", f)
		}
		if best == nil || e.Version > best.Version {
			best = e
		}
	}
	return best, nil
}

// QemuArgs boot the entry's kernel directly (no GRUB), optionally with
// another initramfs.
func (e *BootEntry) QemuArgs(initrd string) []string {
	if initrd == "" {
		initrd = e.Initrd
	}
	return []string{"-kernel", e.Linux, "-initrd", initrd, "-append", e.Options}
}
