package admin

import (
	"errors"
	"fmt"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/sysroot"
)

// unlockMessages are what `admin unlock` says it did, per state.
var unlockMessages = map[string]string{
	sysroot.UnlockedHotfix: "Hotfix mode enabled.  A writable overlayfs is now mounted on /usr\n" +
		"for this booted deployment.  A non-hotfixed clone has been created\n" +
		"as the non-default rollback target.\n",
	sysroot.UnlockedDevelopment: "Development mode enabled.  A writable overlayfs is now mounted on /usr.\n" +
		"All changes there will be discarded on reboot.\n",
	sysroot.UnlockedTransient: "A writable overlayfs is prepared for /usr, but is mounted read-only by default.\n" +
		"All changes there will be discarded on reboot.\n",
}

// setupAdminUnlock is `ostree admin unlock`.
func setupAdminUnlock(in *clikit.Invocation) func([]string) error {
	var hotfix, transient bool
	in.Flag("hotfix", 0, "Retain changes across reboots", &hotfix)
	in.Flag("transient", 0, "Mount overlayfs read-only by default", &transient)
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		if len(args) > 0 {
			return clikit.Usage("This command takes no extra arguments")
		}
		booted, err := s.RequireBooted()
		if err != nil {
			return err
		}
		state := sysroot.UnlockedDevelopment
		switch {
		case hotfix && transient:
			return errors.New("Cannot specify both --hotfix and --transient")
		case hotfix:
			state = sysroot.UnlockedHotfix
		case transient:
			state = sysroot.UnlockedTransient
		}
		if err := s.Unlock(in.Ctx, booted, state); err != nil {
			return err
		}
		fmt.Fprint(in.Stdout, unlockMessages[state])
		return nil
	}
}
