package admin

import (
	"fmt"

	"github.com/gostree/gostree/internal/bootloader"
	"github.com/gostree/gostree/internal/cli/clikit"
)

// setupAdminKargsEditInPlace is `ostree admin kargs edit-in-place`.
func setupAdminKargsEditInPlace(in *clikit.Invocation) func([]string) error {
	var appendIfMissing []string
	in.Strings("append-if-missing", 0, "NAME=VALUE", "Append kernel arguments if they do not exist", &appendIfMissing)
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		if len(s.Deployments) == 0 {
			return fmt.Errorf("Unable to find a deployment in sysroot")
		}
		for _, d := range s.Deployments {
			opts := ""
			if d.BootConfig != nil {
				opts = d.BootConfig.Value("options")
			}
			k := bootloader.ParseKernelArgs(opts)
			for _, a := range appendIfMissing {
				k.AppendIfMissing(a)
			}
			if err := s.SetKargsInPlace(d, k.String()); err != nil {
				return err
			}
		}
		return nil
	}
}

// setupAdminInstutilSetKargs is `ostree admin instutil set-kargs`.
func setupAdminInstutilSetKargs(in *clikit.Invocation) func([]string) error {
	var procCmdline, merge bool
	var replace, appendArgs []string
	in.Flag("import-proc-cmdline", 0, "Import current /proc/cmdline", &procCmdline)
	in.Flag("merge", 0, "Merge with previous command line", &merge)
	in.Strings("replace", 0, "NAME=VALUE", "Set kernel argument, like root=/dev/sda1; this overrides any earlier argument with the same name", &replace)
	in.Strings("append", 0, "NAME=VALUE", "Append kernel argument; useful with e.g. console= that can be used multiple times", &appendArgs)
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true, Unlocked: true})
		if err != nil {
			return err
		}
		defer release()
		if len(s.Deployments) == 0 {
			return fmt.Errorf("Unable to find a deployment in sysroot")
		}
		first := s.Deployments[0]
		k := &bootloader.KernelArgs{}
		switch {
		case procCmdline:
			if err := k.AppendProcCmdline(); err != nil {
				return err
			}
		case merge && first.BootConfig != nil:
			k.AppendString(first.BootConfig.Value("options"))
		}
		for _, a := range replace {
			k.Replace(a)
		}
		for _, a := range appendArgs {
			k.Append(a)
		}
		for _, a := range args {
			k.Append(a)
		}
		return s.SetKargs(in.Ctx, first, k.Strings())
	}
}
