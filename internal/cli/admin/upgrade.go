package admin

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/sign"
	"github.com/gostree/gostree/internal/sysroot"
)

// sysrootPuller pulls into the system repository the way `ostree pull`
// does, verifying signatures as each remote asks.
func sysrootPuller(in *clikit.Invocation, r *repo.Repo) sysroot.PullFunc {
	return func(ctx context.Context, remote string, refs []string, tsFrom *object.Checksum) error {
		opts := pull.RemoteOptions{
			Options:              pull.Options{Refs: refs, Depth: 0, TimestampCheckFrom: tsFrom},
			NetworkRetries:       -1,
			CountMissingDetached: clikit.Compat2022(in),
		}
		if in.Env("OSTREE_SKIP_CACHE") == "" {
			opts.CacheDir = filepath.Join(r.Path(), "tmp", "cache")
		}
		var verifySummary func(ctx context.Context, remote string, summary, sig []byte) error
		opts.GPGVerifyCommit, verifySummary = clikit.GPGPullHooks(in, r)
		opts.GPGVerifySummary = func(ctx context.Context, remote string, summary, sig []byte) error {
			if _, err := sign.UnmarshalSummarySig(sig); err != nil {
				return sign.ErrNoSignatures
			}
			return verifySummary(ctx, remote, summary, sig)
		}
		_, err := pull.PullRemote(ctx, r, remote, opts)
		return err
	}
}

// setupAdminUpgrade is `ostree admin upgrade`.
func setupAdminUpgrade(in *clikit.Invocation) func([]string) error {
	var osname, overrideCommit string
	var reboot, kexec, allowDowngrade, pullOnly, deployOnly, stage, allowFailed bool
	in.String("os", 0, "OSNAME", "Use a different operating system root than the current one", &osname)
	in.Flag("reboot", 'r', "Reboot after a successful upgrade", &reboot)
	in.Flag("kexec", 'k', "Stage new kernel in kexec", &kexec)
	in.Flag("allow-downgrade", 0, "Permit deployment of chronologically older trees", &allowDowngrade)
	in.String("override-commit", 0, "CHECKSUM", "Deploy CHECKSUM instead of the latest tree", &overrideCommit)
	in.Flag("pull-only", 0, "Do not create a deployment, just download", &pullOnly)
	in.Flag("deploy-only", 0, "Do not pull, only deploy", &deployOnly)
	in.Flag("stage", 0, "Enable staging (finalization at reboot time)", &stage)
	in.OwnFlag("allow-failed", 0, "Deploy a commit even if it was rolled back after failing health checks", &allowFailed)
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		switch {
		case pullOnly && deployOnly:
			return fmt.Errorf("Cannot simultaneously specify --pull-only and --deploy-only")
		case pullOnly && (reboot || kexec):
			return fmt.Errorf("Cannot simultaneously specify --pull-only and --reboot or --kexec")
		}
		u, err := s.NewUpgrader(osname, false)
		if err != nil {
			return err
		}
		u.Stage, u.AllowFailed = stage, allowFailed
		sysroot.RemoveTransientState(u.Origin)
		if overrideCommit != "" {
			u.Origin.SetString("origin", "override-commit", overrideCommit)
		}
		if err := u.SetOrigin(u.Origin, false); err != nil {
			return err
		}
		r, err := s.Repo(in.Ctx)
		if err != nil {
			return err
		}
		changed, err := u.Pull(in.Ctx, sysrootPuller(in, r), deployOnly, allowDowngrade)
		if err != nil {
			if pullOnly {
				_ = s.Cleanup(in.Ctx, sysroot.CleanupOptions{Prune: true})
			}
			return err
		}
		if !changed {
			fmt.Fprintln(in.Stdout, "No update available.")
			return nil
		}
		if !pullOnly {
			d, err := u.Deploy(in.Ctx)
			if err != nil {
				return failedCommitHint(err)
			}
			if kexec && !d.Staged {
				if err := kexecLoad(s, d); err != nil {
					return err
				}
			}
		}
		if reboot {
			return fmt.Errorf("--reboot is not supported: reboot the system yourself")
		}
		return nil
	}
}

// setupAdminSwitch is `ostree admin switch REFSPEC`.
func setupAdminSwitch(in *clikit.Invocation) func([]string) error {
	var osname string
	var reboot, kexec, allowFailed bool
	in.Flag("reboot", 'r', "Reboot after switching trees", &reboot)
	in.Flag("kexec", 'k', "Stage new kernel in kexec", &kexec)
	in.String("os", 0, "OSNAME", "Use a different operating system root than the current one", &osname)
	in.OwnFlag("allow-failed", 0, "Deploy a commit even if it was rolled back after failing health checks", &allowFailed)
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Superuser: true})
		if err != nil {
			return err
		}
		defer release()
		if len(args) < 1 {
			return clikit.Usage("REFSPEC must be specified")
		}
		u, err := s.NewUpgrader(osname, true)
		if err != nil {
			return err
		}
		oldRefspec, _ := u.Origin.String("origin", "refspec")
		old, err := ref.ParseSpec(oldRefspec)
		if err != nil {
			return err
		}
		var newRemote, newRef string
		if r, ok := strings.CutSuffix(args[0], ":"); ok {
			newRemote, newRef = r, old.Ref
		} else {
			spec, err := ref.ParseSpec(args[0])
			if err != nil {
				return err
			}
			newRemote, newRef = spec.Remote, spec.Ref
		}
		remote := newRemote
		if remote == "" {
			remote = old.Remote
		}
		newRefspec := newRef
		if remote != "" {
			newRefspec = remote + ":" + newRef
		}
		if newRefspec == oldRefspec {
			return fmt.Errorf("Old and new refs are equal: %s", newRefspec)
		}
		origin := keyfileWithRefspec(newRefspec)
		if err := u.SetOrigin(origin, true); err != nil {
			return err
		}
		r, err := s.Repo(in.Ctx)
		if err != nil {
			return err
		}
		if _, err := u.Pull(in.Ctx, sysrootPuller(in, r), false, true); err != nil {
			return err
		}
		u.AllowFailed = allowFailed
		d, err := u.Deploy(in.Ctx)
		if err != nil {
			return failedCommitHint(err)
		}
		if kexec && !d.Staged {
			if err := kexecLoad(s, d); err != nil {
				return err
			}
		}
		fmt.Fprintf(in.Stdout, "Deleting ref '%s:%s'\n", old.Remote, old.Ref)
		if err := r.SetRef(in.Ctx, old.Remote, old.Ref, nil); err != nil {
			return err
		}
		if reboot {
			return fmt.Errorf("--reboot is not supported: reboot the system yourself")
		}
		return nil
	}
}

// failedCommitHint points a refusal to deploy a rolled-back commit at
// the flag that overrides it.
func failedCommitHint(err error) error {
	var failed *sysroot.FailedCommitError
	if errors.As(err, &failed) {
		return fmt.Errorf("%w; use --allow-failed to deploy it anyway", err)
	}
	return err
}
