package bootloader

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// GrubMaxBootCounter is the largest boot_counter the counting fragment
// counts down: GRUB without Fedora's decrement module has no arithmetic,
// so each value is one branch of an if-chain.
const GrubMaxBootCounter = 10

// grubenvFiles are the grubenv locations that turn counting on, relative
// to the sysroot; GRUB reads them as /boot/... because boot/boot links
// to "." when /boot is a partition of its own.
var grubenvFiles = []string{"boot/grub/grubenv", "boot/grub2/grubenv"}

// GrubCountingFragment is grub script for greenboot-style boot counting
// on the environment block envFile (a GRUB path, expanded at boot): while
// boot_success is 0 each boot counts boot_counter down; at 0 (or -1) it
// boots menu entry 1, the previous deployment, once, and leaves -1 for
// userspace to see. boot_success is reset for the next boot to prove.
func GrubCountingFragment(envFile string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "if [ -s \"%s\" ]; then\n", envFile)
	fmt.Fprintf(&b, "  load_env -f \"%s\" boot_counter boot_success\n", envFile)
	b.WriteString("  if [ -n \"${boot_counter}\" -a \"${boot_success}\" = \"0\" ]; then\n")
	b.WriteString("    if [ \"${boot_counter}\" = \"0\" -o \"${boot_counter}\" = \"-1\" ]; then\n")
	b.WriteString("      set default=1\n      set boot_counter=-1\n")
	for n := 1; n <= GrubMaxBootCounter; n++ {
		fmt.Fprintf(&b, "    elif [ \"${boot_counter}\" = \"%d\" ]; then\n      set boot_counter=%d\n", n, n-1)
	}
	b.WriteString("    fi\n")
	fmt.Fprintf(&b, "    save_env -f \"%s\" boot_counter\n", envFile)
	b.WriteString("  fi\n")
	b.WriteString("  set boot_success=0\n")
	fmt.Fprintf(&b, "  save_env -f \"%s\" boot_success\n", envFile)
	b.WriteString("fi\n")
	return b.String()
}

// BuiltinGrubOptions shape the grub.cfg written without grub-mkconfig.
type BuiltinGrubOptions struct {
	// Timeout is the menu timeout in seconds.
	Timeout int
	// EnvFile is the GRUB path of the grubenv; "" disables counting.
	EnvFile string
	// SearchRoot makes GRUB find the filesystem holding /boot by the
	// default kernel's path first: an EFI GRUB starts on the ESP.
	SearchRoot bool
}

// BuiltinGrubConfig writes a complete grub.cfg for entries (default
// first): a header, the counting fragment, and the menu Grub2Menu makes
// with kernel paths under /boot, which resolve both on the root
// filesystem and, through the boot/boot link, on a boot partition.
func BuiltinGrubConfig(w io.Writer, entries []*Config, opts BuiltinGrubOptions) error {
	if strings.ContainsAny(opts.EnvFile, "\"\n") {
		return fmt.Errorf("grubenv path %q cannot be quoted for grub", opts.EnvFile)
	}
	var b bytes.Buffer
	b.WriteString("# Written by gostree: this system has no grub-mkconfig.\n")
	if len(entries) > 0 {
		if unit, speed, ok := serialConsole(entries[0].Value("options")); ok {
			fmt.Fprintf(&b, "serial --unit=%d --speed=%d\n", unit, speed)
			b.WriteString("terminal_input serial console\nterminal_output serial console\n")
		}
	}
	if opts.SearchRoot && len(entries) > 0 {
		if k, ok := entries[0].Get("linux"); ok {
			fmt.Fprintf(&b, "search --no-floppy --file --set=root %s\n", shellQuote("/boot"+k))
		}
	}
	fmt.Fprintf(&b, "set timeout=%d\n", opts.Timeout)
	// Grub2Menu's entries call load_video, which grub-mkconfig's header
	// defines.
	b.WriteString("function load_video {\n  insmod all_video\n}\n")
	if opts.EnvFile != "" {
		b.WriteString(GrubCountingFragment(opts.EnvFile))
	}
	prefixed := make([]*Config, len(entries))
	for i, e := range entries {
		c := e.Clone()
		for _, k := range []string{"linux", "initrd", "devicetree"} {
			if v, ok := c.Get(k); ok {
				c.Set(k, "/boot"+v)
			}
		}
		prefixed[i] = c
	}
	if err := Grub2Menu(&b, prefixed, Grub2MenuOptions{}); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// serialConsole finds a console=ttyS<unit>[,<speed>...] argument.
func serialConsole(options string) (unit, speed int, ok bool) {
	for _, a := range ParseKernelArgs(options).Strings() {
		v, found := strings.CutPrefix(a, "console=ttyS")
		if !found {
			continue
		}
		u, rest, _ := strings.Cut(v, ",")
		n, err := strconv.Atoi(u)
		if err != nil || n < 0 {
			continue
		}
		speed = 115200
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if s, err := strconv.Atoi(rest[:i]); err == nil && s > 0 {
			speed = s
		}
		return n, speed, true
	}
	return 0, 0, false
}

// mkconfigFound reports whether the grub-mkconfig WriteConfig would run
// exists: inside the new default deployment when it would chroot there,
// else on this system.
func mkconfigFound(sysroot string, entries []*Config) bool {
	p := grub2MkconfigPath
	if sysroot != "/" && len(entries) > 0 {
		root, err := deploymentRoot(sysroot, entries[0])
		if err != nil {
			return true // let the grub-mkconfig path report it
		}
		p = filepath.Join(root, grub2MkconfigPath)
	}
	_, err := os.Lstat(p)
	return !errors.Is(err, fs.ErrNotExist)
}

// writeBuiltinGrub renders grub.cfg to path for a system without
// grub-mkconfig; the caller syncs it and puts it in place.
func writeBuiltinGrub(sysroot, path string, entries []*Config, efi bool) error {
	opts := BuiltinGrubOptions{SearchRoot: efi}
	for _, p := range grubenvFiles {
		if _, err := os.Stat(filepath.Join(sysroot, p)); err == nil {
			opts.EnvFile = "/" + p
			break
		}
	}
	if len(entries) > 0 {
		if root, err := deploymentRoot(sysroot, entries[0]); err == nil {
			t, err := grubTimeout(filepath.Join(root, "etc/default/grub"))
			if err != nil {
				return err
			}
			opts.Timeout = t
		}
	}
	var b bytes.Buffer
	if err := BuiltinGrubConfig(&b, entries, opts); err != nil {
		return err
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// grubTimeout reads GRUB_TIMEOUT=N from an /etc/default/grub; 0 when the
// file or the setting is missing.
func grubTimeout(path string) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	t := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "GRUB_TIMEOUT=")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.Trim(v, `"'`))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s: invalid GRUB_TIMEOUT=%s", path, v)
		}
		t = n
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("reading %s: %w", path, err)
	}
	return t, nil
}
