package bootloader

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"unicode/utf8"
)

// ubootConfigPath is the file U-Boot setups read (through the
// boot/uEnv.txt compatibility link).
const ubootConfigPath = "boot/loader/uEnv.txt"

// uboot writes boot/loader.N/uEnv.txt: the variables of the default entry,
// then the deployment's own usr/lib/ostree-boot/uEnv.txt, then numbered
// variables (kernel_image2, ...) for the other entries.
type uboot struct{}

var _ Backend = uboot{}

// probeUboot: active when boot/loader/uEnv.txt exists.
func probeUboot(sysroot string) (Backend, bool, error) {
	ok, err := lexists(filepath.Join(sysroot, ubootConfigPath))
	if err != nil || !ok {
		return nil, false, err
	}
	return uboot{}, true, nil
}

func (uboot) Name() string   { return "uboot" }
func (uboot) IsAtomic() bool { return true }

func (uboot) PostBLSSync(context.Context, string, int) error { return nil }

func (uboot) WriteConfig(_ context.Context, sysroot string, bootversion int, entries []*Config) error {
	// The current file's content is not used, but like libostree we
	// insist that it is there.
	if _, err := readUTF8(sysroot, ubootConfigPath); err != nil {
		return err
	}
	out, err := ubootConfig(entries, func(ostreeArg string) (string, bool, error) {
		return readSystemUEnv(sysroot, ostreeArg)
	})
	if err != nil {
		return err
	}
	return writeConfigFile(sysroot, fmt.Sprintf("boot/loader.%d/uEnv.txt", bootversion), out)
}

// ubootConfig builds uEnv.txt. systemUEnv returns the deployment's
// usr/lib/ostree-boot/uEnv.txt given the default entry's ostree= value.
func ubootConfig(entries []*Config, systemUEnv func(ostreeArg string) (string, bool, error)) (string, error) {
	var lines []string
	for i, e := range entries {
		suffix := ""
		if i > 0 {
			suffix = fmt.Sprint(i + 1)
		}
		linux, ok := e.Get("linux")
		if !ok {
			return "", fmt.Errorf("No \"linux\" key in bootloader config")
		}
		lines = append(lines, "kernel_image"+suffix+"=/boot"+linux)
		if v, ok := e.Get("initrd"); ok {
			lines = append(lines, "ramdisk_image"+suffix+"=/boot"+v)
		}
		if v, ok := e.Get("devicetree"); ok {
			lines = append(lines, "fdt_file"+suffix+"=/boot"+v)
		}
		if v, ok := e.Get("fdtdir"); ok {
			lines = append(lines, "fdtdir"+suffix+"=/boot"+v)
		}
		opts, ok := e.Get("options")
		if !ok {
			continue
		}
		lines = append(lines, "bootargs"+suffix+"="+opts)
		if i != 0 {
			continue
		}
		arg, ok := ParseKernelArgs(opts).LastValue("ostree")
		if !ok {
			return "", fmt.Errorf("No ostree= kernel argument found in boot loader configuration file")
		}
		// The file's text goes in as one "line": join adds a newline after it.
		text, found, err := systemUEnv(arg)
		if err != nil {
			return "", err
		}
		if found {
			lines = append(lines, text)
		}
	}
	return joinLines(lines), nil
}

// readSystemUEnv reads usr/lib/ostree-boot/uEnv.txt of the deployment that
// the ostree= argument (/ostree/boot.N/...) leads to.
func readSystemUEnv(sysroot, ostreeArg string) (string, bool, error) {
	if ostreeArg != "" { // libostree skips the first byte, the leading "/"
		ostreeArg = ostreeArg[1:]
	}
	rel := ostreeArg + "/usr/lib/ostree-boot/uEnv.txt"
	b, err := os.ReadFile(filepath.Join(sysroot, rel))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("Reading %s: %w", rel, unwrapPath(err))
	}
	if !utf8.Valid(b) {
		return "", false, fmt.Errorf("Reading %s: Invalid UTF-8", rel)
	}
	return string(b), true, nil
}
