package admin

import (
	"fmt"

	"github.com/gostree/gostree/internal/cli/clikit"
)

// setupAdminLockFinalization is `ostree admin lock-finalization [-u]`:
// lock the staged deployment's finalization, or with --unlock let
// shutdown finalize it again.
func setupAdminLockFinalization(in *clikit.Invocation) func([]string) error {
	var unlock bool
	in.Flag("unlock", 'u', "Unlock finalization", &unlock)
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		if s.Staged == nil {
			return fmt.Errorf("No staged deployment")
		}
		// The state in the staged record decides, not the legacy lock
		// file, as in libostree.
		switch locked := s.Staged.FinalizationLocked; {
		case unlock && !locked:
			fmt.Fprintln(in.Stdout, "Staged deployment is already prepared for finalization")
			return nil
		case !unlock && locked:
			fmt.Fprintln(in.Stdout, "Staged deployment is already finalization locked")
			return nil
		}
		if _, err := s.ChangeFinalization(); err != nil {
			return err
		}
		if unlock {
			fmt.Fprintln(in.Stdout, "Staged deployment is now queued to apply on shutdown")
		} else {
			fmt.Fprintln(in.Stdout, "Staged deployment is now finalization locked")
		}
		return nil
	}
}
