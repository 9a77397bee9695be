package cli

// setupAdminPostCopy is `ostree admin post-copy`: restore what a
// file-level copy of the sysroot lost (fs-verity).
func setupAdminPostCopy(in *Invocation) func([]string) error {
	return func(args []string) error {
		s, release, err := in.OpenSysroot(adminFlags{Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		return s.UpdatePostCopy(in.Ctx)
	}
}
