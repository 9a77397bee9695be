package admin

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/gostree/gostree/internal/bootloader"
	"github.com/gostree/gostree/internal/cli/clikit"
)

// setupAdminGrub2Generate is `ostree admin instutil grub2-generate
// [BOOTVERSION]`, which grub's ostree hook (run by grub-mkconfig, which
// the grub2 backend runs) calls to print the menu entries for the BLS
// entries of a boot version.
func setupAdminGrub2Generate(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true, Unlocked: true})
		if err != nil {
			return err
		}
		defer release()
		// The hook's variables are told apart from empty ones by presence,
		// which in.Env cannot express.
		var bv uint32
		if len(args) >= 1 {
			bv = strtoul32(args[0])
			if bv > 1 {
				return fmt.Errorf("Invalid bootversion: %d", bv)
			}
		} else if v, ok := os.LookupEnv("_OSTREE_GRUB2_BOOTVERSION"); ok {
			if bv = strtoul32(v); bv > 1 {
				return fmt.Errorf("Invalid bootversion: %d", bv)
			}
		} else {
			bv = uint32(s.BootVersion)
		}
		var opts bootloader.Grub2MenuOptions
		var ok bool
		if opts.DeviceID, ok = os.LookupEnv("GRUB2_BOOT_DEVICE_ID"); !ok {
			return fmt.Errorf("GRUB2_BOOT_DEVICE_ID is not set; this command is meant to be run by grub2-mkconfig")
		}
		if opts.PrepareRootCache, ok = os.LookupEnv("GRUB2_PREPARE_ROOT_CACHE"); !ok {
			return fmt.Errorf("GRUB2_PREPARE_ROOT_CACHE is not set; this command is meant to be run by grub2-mkconfig")
		}
		_, opts.EFI = os.LookupEnv("_OSTREE_GRUB2_IS_EFI")
		entries, err := s.BootConfigs(int(bv))
		if err != nil {
			return err
		}
		return bootloader.Grub2Menu(in.Stdout, entries, opts)
	}
}

// strtoul32 parses like g_ascii_strtoull then truncates to 32 bits, as
// libostree stores the result in a guint: leading space and a sign are
// allowed, parsing stops at the first non-digit, overflow saturates and
// a minus sign negates modulo 2^64.
func strtoul32(s string) uint32 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == 0 {
		return 0
	}
	v, err := strconv.ParseUint(s[:end], 10, 64)
	if err != nil {
		return ^uint32(0) // ERANGE: G_MAXUINT64
	}
	if neg {
		v = -v
	}
	return uint32(v)
}
