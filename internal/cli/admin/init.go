package admin

import (
	"fmt"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/sysroot"
)

// setupAdminInitFS is `ostree admin init-fs PATH`.
func setupAdminInitFS(in *clikit.Invocation) func([]string) error {
	var modern bool
	var epoch int
	in.Flag("modern", 0, "Only create /boot and /ostree", &modern)
	in.Int("epoch", 'E', "", "An integer value, defines initial state.  Must be in the range [0-1], inclusive.", &epoch)
	return func(args []string) error {
		if len(args) < 1 {
			return clikit.Usage("PATH must be specified")
		}
		// --epoch (2025.2): 1 and up mean --modern; 2 also makes
		// ostree/ private (0700), whatever the help text says.
		opts := sysroot.InitFSOptions{Modern: modern || epoch >= 1, PrivateOstree: epoch == 2}
		return sysroot.InitFS(in.Ctx, args[0], opts)
	}
}

// setupAdminOSInit is `ostree admin stateroot-init STATEROOT` and its
// older name os-init; both answer as 2025.2 does, since a caller of
// os-init cannot be told apart.
func setupAdminOSInit(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Unlocked: true, Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		if err := s.EnsureInitialized(in.Ctx); err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("STATEROOT must be specified")
		}
		if err := s.InitStateroot(in.Ctx, args[0]); err != nil {
			return err
		}
		fmt.Fprintf(in.Stdout, "ostree/deploy/%s initialized as OSTree stateroot\n", args[0])
		return nil
	}
}
