package bootloader

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// syslinuxConfigPath is the file syslinux reads; installations make it a
// symlink to boot/loader/syslinux.cfg so the loader swap switches it.
const syslinuxConfigPath = "boot/syslinux/syslinux.cfg"

// syslinux rewrites boot/loader.N/syslinux.cfg from the entries, keeping
// everything in the current file that is not an ostree entry.
type syslinux struct{}

var _ Backend = syslinux{}

// probeSyslinux: active when boot/syslinux/syslinux.cfg exists, even as a
// dangling symlink.
func probeSyslinux(sysroot string) (Backend, bool, error) {
	ok, err := lexists(filepath.Join(sysroot, syslinuxConfigPath))
	if err != nil || !ok {
		return nil, false, err
	}
	return syslinux{}, true, nil
}

func (syslinux) Name() string   { return "syslinux" }
func (syslinux) IsAtomic() bool { return true }

func (syslinux) PostBLSSync(context.Context, string, int) error { return nil }

func (syslinux) WriteConfig(_ context.Context, sysroot string, bootversion int, entries []*Config) error {
	old, err := readUTF8(sysroot, syslinuxConfigPath)
	if err != nil {
		return err
	}
	out, err := syslinuxConfig(old, entries)
	if err != nil {
		return err
	}
	return writeConfigFile(sysroot, fmt.Sprintf("boot/loader.%d/syslinux.cfg", bootversion), out)
}

// syslinuxConfig merges the entries into the old config text. LABEL blocks
// (a LABEL line and the tab-indented lines after it) whose KERNEL is an
// ostree kernel are dropped and regenerated at the end; other lines are
// kept in place. Top-level DEFAULT lines are always dropped; a new DEFAULT
// naming the first entry is written when there was none or it named an
// ostree entry (a non-ostree DEFAULT is thus lost, as in libostree).
func syslinuxConfig(old string, entries []*Config) (string, error) {
	var (
		lines      []string
		block      []string
		kernel     string
		haveKernel bool
		inLabel    bool
		sawDefault bool
		regenerate bool
	)
	endLabel := func() error {
		inLabel = false
		if !haveKernel {
			return fmt.Errorf("No KERNEL argument found after LABEL")
		}
		// Kernels under /ostree/ (pre-2020.4 paths) or /boot/ostree/ are ours.
		if !strings.HasPrefix(kernel, "/ostree/") && !strings.HasPrefix(kernel, "/boot/ostree/") {
			lines = append(lines, block...)
		}
		block = block[:0]
		return nil
	}
	var oldLines []string
	if old != "" { // g_strsplit("") is empty, not one empty line
		oldLines = strings.Split(old, "\n")
	}
	for _, line := range oldLines {
		if inLabel && !strings.HasPrefix(line, "\t") {
			if err := endLabel(); err != nil {
				return "", err
			}
		}
		skip := false
		switch {
		case !inLabel && strings.HasPrefix(line, "LABEL "):
			inLabel = true
			block = block[:0]
		case inLabel && strings.HasPrefix(line, "\tKERNEL "):
			// The last KERNEL seen anywhere counts: libostree never resets it.
			kernel, haveKernel = strings.TrimPrefix(line, "\tKERNEL "), true
		case !inLabel && strings.HasPrefix(line, "DEFAULT "):
			sawDefault = true
			// Titles are built with "(ostree:N)" so that this finds them.
			if strings.HasPrefix(line, "DEFAULT ostree:") || strings.Contains(line, "(ostree") {
				regenerate = true
			}
			skip = true
		}
		if skip {
			continue
		}
		if inLabel {
			block = append(block, line)
		} else {
			lines = append(lines, line)
		}
	}
	if inLabel {
		if err := endLabel(); err != nil {
			return "", err
		}
	}
	if !sawDefault {
		regenerate = true
	}
	for i, e := range entries {
		title, ok := e.Get("title")
		if !ok {
			title = "(Untitled)"
		}
		if regenerate && i == 0 {
			lines = append(lines, "DEFAULT "+title)
		}
		lines = append(lines, "LABEL "+title)
		linux, ok := e.Get("linux")
		if !ok {
			return "", fmt.Errorf("No \"linux\" key in bootloader config")
		}
		lines = append(lines, "\tKERNEL "+bootPath(linux))
		if v, ok := e.Get("initrd"); ok {
			lines = append(lines, "\tINITRD "+bootPath(v))
		}
		if v, ok := e.Get("devicetree"); ok {
			lines = append(lines, "\tDEVICETREE "+bootPath(v))
		}
		if v, ok := e.Get("options"); ok {
			lines = append(lines, "\tAPPEND "+v)
		}
	}
	return joinLines(lines), nil
}

// bootPath is an entry path as syslinux, reading the root filesystem,
// sees it: under /boot, unless sysroot.bootprefix already put it there.
func bootPath(p string) string {
	if strings.HasPrefix(p, "/boot/") {
		return p
	}
	return "/boot" + p
}
