package admin

import (
	"fmt"

	"github.com/gostree/gostree/internal/cli/clikit"
)

// setupAdminSetDefault is `ostree admin set-default INDEX` (libostree
// has it from 2023.8 on).
func setupAdminSetDefault(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		if len(args) < 1 {
			return clikit.Usage("INDEX must be specified")
		}
		_, idx, err := indexedDeployment(s, args[0])
		if err != nil {
			return err
		}
		_, err = s.SetDefault(in.Ctx, idx)
		return err
	}
}

// setupAdminRollback is `ostree admin rollback`, a gostree extension:
// the rollback deployment becomes the default, or, when an update is
// pending, the booted deployment again.
func setupAdminRollback(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		if len(args) > 0 {
			return clikit.Usage("This command takes no extra arguments")
		}
		target, err := s.RollbackTarget()
		if err != nil {
			return err
		}
		fmt.Fprintf(in.Stdout, "Moving '%s' to be first deployment\n", target.Name())
		_, err = s.Rollback(in.Ctx)
		return err
	}
}
