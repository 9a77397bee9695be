package admin

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/health"
	"github.com/gostree/gostree/internal/sysroot"
)

// bootIDPath names this boot; records of one boot replace each other.
const bootIDPath = "/proc/sys/kernel/random/boot_id"

// setupHealthRun is `gostree health run`: commit a loader fallback, run
// the checks, mark the boot good or run red.d and maybe reboot. It exits
// non-zero when the boot failed.
func setupHealthRun(in *clikit.Invocation) func([]string) error {
	var noReboot bool
	root := "/"
	in.Flag("no-reboot", 0, "Do not reboot after a failed boot; only exit non-zero", &noReboot)
	in.String("root", 0, "DIR", "Find checks and greenboot.conf under DIR (default /)", &root)
	return func(args []string) error {
		if len(args) > 0 {
			return clikit.Usage("too many arguments")
		}
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Unlocked: true, Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		booted, err := s.RequireBooted()
		if err != nil {
			return err
		}
		rec := &health.BootRecord{
			BootID: bootID(), Deployment: booted.Name(), Commit: booted.Csum, Stateroot: booted.Stateroot,
			Started: time.Now().UTC(),
		}
		count, err := s.BootCountState()
		if err != nil {
			in.Printf("health: reading the boot counter: %s\n", clikit.ErrorText(err))
		}
		fellBack, err := commitFallback(in, s, booted, count, rec)
		if err != nil {
			return err
		}

		cfg, err := health.LoadConfig(root)
		if err != nil {
			return err
		}
		for _, w := range cfg.Warnings {
			in.Printf("health: warning: %s: %s\n", filepath.Join(root, health.ConfigPath), w)
		}
		r := &health.Runner{Root: root, Config: cfg, Out: in.Stdout}
		checks, good, err := r.Check(in.Ctx)
		if err != nil {
			in.Printf("health: %s\n", clikit.ErrorText(err))
		}
		rec.Checks = checks
		rec.Result = health.ResultFailed
		if good && err == nil {
			rec.Result = health.ResultGood
		}
		var markErr error
		if rec.Result == health.ResultGood {
			in.Printf("health: boot is GOOD\n")
			markErr = withSysrootLock(in, s, func() error { return markGood(in, s, booted) })
			if markErr != nil {
				in.Printf("health: marking the boot good: %s\n", clikit.ErrorText(markErr))
			}
			runScripts(in, r, "green")
		} else {
			in.Printf("health: boot is FAILED\n")
			runScripts(in, r, "red")
		}
		rec.Finished = time.Now().UTC()
		store := stateRootStore(s, booted.Stateroot)
		keepFallback(store, rec)
		// The record is durable before any reboot.
		if err := store.AddBoot(rec); err != nil {
			return err
		}
		if rec.Result == health.ResultGood {
			clearFailed(in, store, booted)
		}
		if markErr != nil {
			return clikit.ExitError{Code: 1}
		}
		if rec.Result == health.ResultGood {
			return nil
		}
		ok, why := shouldReboot(count, fellBack, booted.Equal(defaultDeployment(s)), len(s.Deployments)-boolInt(s.Staged != nil))
		if ok && noReboot {
			ok, why = false, "--no-reboot given"
		}
		if !ok {
			in.Printf("health: not rebooting: %s\n", why)
			return clikit.ExitError{Code: 1}
		}
		in.Printf("health: rebooting (%d attempts left)\n", count.Left)
		if err := rebootMachine(in.Ctx); err != nil {
			return fmt.Errorf("rebooting after a failed boot: %w", err)
		}
		return clikit.ExitError{Code: 1}
	}
}

// shouldReboot bounds automatic reboots so that they cannot loop: only
// while the loader counts down attempts of the booted default, and only
// when there is another deployment to fall back to.
func shouldReboot(c sysroot.BootCountState, fellBack, bootedIsDefault bool, deployments int) (bool, string) {
	switch {
	case c.Backend == "":
		return false, "nothing counts boots; manual intervention needed"
	case fellBack || c.FellBack:
		return false, "this boot is already the fallback; manual intervention needed"
	case !c.Armed:
		return false, "no boot counter is armed; manual intervention needed"
	case !bootedIsDefault:
		return false, "the booted deployment is not the default"
	case deployments < 2:
		return false, "there is no other deployment to fall back to"
	}
	return true, ""
}

// markGood marks the boot good when the booted deployment is the default:
// the counter belongs to the default, and a deployment made the default
// while the checks ran has not been tested by this boot.
func markGood(in *clikit.Invocation, s *sysroot.Sysroot, booted *sysroot.Deployment) error {
	if err := s.Load(in.Ctx); err != nil {
		return err
	}
	if def := defaultDeployment(s); !booted.Equal(def) {
		in.Printf("health: the default deployment is %s, not the booted one; leaving the boot counter alone\n", nameOf(def))
		return nil
	}
	return s.MarkBootGood(in.Ctx)
}

func nameOf(d *sysroot.Deployment) string {
	if d == nil {
		return "none"
	}
	return d.Name()
}

// RebootMachine is reboot; tests see the call instead.
var rebootMachine = reboot

// reboot restarts the machine: through systemd when it runs, else (a
// small init) directly after a sync. systemd is not waited for: the
// shutdown it starts stops this very unit.
func reboot(ctx context.Context) error {
	if _, err := os.Stat("/run/systemd/system"); err == nil {
		return exec.CommandContext(ctx, "systemctl", "reboot", "--no-block").Run()
	}
	_ = exec.CommandContext(ctx, "sync").Run()
	return exec.CommandContext(ctx, "reboot", "-f").Run()
}

func runScripts(in *clikit.Invocation, r *health.Runner, kind string) {
	if _, err := r.RunScripts(in.Ctx, kind); err != nil {
		in.Printf("health: %s scripts: %s\n", kind, clikit.ErrorText(err))
	}
}

// withSysrootLock runs fn holding the sysroot lock.
func withSysrootLock(in *clikit.Invocation, s *sysroot.Sysroot, fn func() error) error {
	release, err := in.LockSysroot(s)
	if err != nil {
		return err
	}
	defer release()
	return fn()
}

// defaultDeployment is the first deployment that is not staged.
func defaultDeployment(s *sysroot.Sysroot) *sysroot.Deployment {
	for _, d := range s.Deployments {
		if !d.Staged {
			return d
		}
	}
	return nil
}

func bootID() string {
	b, err := os.ReadFile(bootIDPath)
	if err != nil {
		return "" // records are then named by time only
	}
	return strings.TrimSpace(string(b))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// clearFailed drops the booted commit from the failed list: it has just
// booted good, so it is no longer known to be bad.
func clearFailed(in *clikit.Invocation, store *health.Store, booted *sysroot.Deployment) {
	failed, err := store.FailedCommits()
	if err != nil {
		return
	}
	if _, ok := failed[booted.Csum]; !ok {
		return
	}
	if err := store.ClearFailed(booted.Csum); err != nil {
		in.Printf("health: clearing %s from the failed commits: %s\n", booted.Csum, clikit.ErrorText(err))
		return
	}
	in.Printf("health: commit %s booted good; it is no longer listed as failed\n", booted.Csum)
}
