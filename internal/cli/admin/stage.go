package admin

import (
	"errors"
	"fmt"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/sysroot"
)

// runAdminDeployStage is `admin deploy --stage`: the deployment is
// checked out now and finalized at shutdown.
func runAdminDeployStage(in *clikit.Invocation, s *sysroot.Sysroot, f *deployFlags, opts sysroot.DeployOptions) error {
	if f.retainPending || f.retainRollback {
		return errors.New("--stage cannot currently be combined with --retain arguments")
	}
	if f.notDefault {
		return errors.New("--stage cannot currently be combined with --not-as-default")
	}
	res, err := s.StageTree(in.Ctx, opts, sysroot.StageOptions{LockFinalization: f.lockFinalization})
	if err != nil {
		return err
	}
	for _, n := range res.VarNotes {
		fmt.Fprintf(in.Stderr, "note: Deploying commit %s which contains content in /var/%s that will be ignored.\n", opts.Commit, n)
	}
	// The boot configuration is untouched, so no pruning yet.
	return s.Cleanup(in.Ctx, sysroot.CleanupOptions{})
}

// setupAdminFinalizeStaged is `ostree admin finalize-staged`, which
// ostree-finalize-staged.service runs at shutdown.
func setupAdminFinalizeStaged(in *clikit.Invocation) func([]string) error {
	var hold bool
	in.Flag("hold", 0, "Hold /boot open during finalization", &hold)
	return func(args []string) error {
		if !clikit.HostBooted() {
			return nil
		}
		if hold {
			return holdBoot(in)
		}
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		// Run as a service, stdout is the journal.
		s.OnJournal = func(msg string) { fmt.Fprintln(in.Stdout, msg) }
		return s.FinalizeStaged(in.Ctx)
	}
}

// holdBoot keeps /boot open, so that an automount cannot expire before
// finalization, until the service is stopped.
func holdBoot(in *clikit.Invocation) error {
	s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true, Unlocked: true})
	if err != nil {
		return err
	}
	defer release()
	boot, err := os.Open(s.Abs("boot"))
	if err != nil {
		return err
	}
	defer boot.Close()
	ctx, stop := signal.NotifyContext(in.Ctx, unix.SIGTERM, unix.SIGINT)
	defer stop()
	<-ctx.Done()
	return nil
}

// setupAdminBootComplete is `ostree admin boot-complete`, which
// ostree-boot-complete.service runs after boot: it reports a failed
// finalization of the previous shutdown.
func setupAdminBootComplete(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		if !clikit.HostBooted() {
			return nil
		}
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		return s.BootComplete(in.Ctx)
	}
}
