package admin

import "github.com/gostree/gostree/internal/cli/clikit"

// setupAdminPostCopy is `ostree admin post-copy`: restore what a
// file-level copy of the sysroot lost (fs-verity).
func setupAdminPostCopy(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		return s.UpdatePostCopy(in.Ctx)
	}
}
