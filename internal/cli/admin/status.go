package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/sign"
	"github.com/gostree/gostree/internal/sysroot"
)

// DeploymentStatus is one deployment in `admin status --json`.
type deploymentStatus struct {
	Index     int    `json:"index"`
	Stateroot string `json:"stateroot"`
	Checksum  string `json:"checksum"`
	Serial    int    `json:"serial"`
	Booted    bool   `json:"booted"`
	Pending   bool   `json:"pending"`
	Rollback  bool   `json:"rollback"`
	Staged    bool   `json:"staged"`
	// FinalizationLocked marks a staged deployment that shutdown
	// leaves alone until /run/ostree/staged-deployment-locked goes.
	FinalizationLocked bool   `json:"finalization_locked"`
	Pinned             bool   `json:"pinned"`
	Unlocked           string `json:"unlocked"`
	Version            string `json:"version,omitempty"`
	Refspec            string `json:"origin_refspec,omitempty"`
	BootCsum           string `json:"bootcsum,omitempty"`
	// BootSerial is -1 for a staged deployment, which has no boot
	// entry yet.
	BootSerial int    `json:"bootserial"`
	Options    string `json:"options,omitempty"`
	Path       string `json:"path"`
	// Health is absent when no health record names the deployment.
	Health *deploymentHealth `json:"health,omitempty"`
}

// setupAdminStatus is `ostree admin status`.
func setupAdminStatus(in *clikit.Invocation) func([]string) error {
	var verify, skipSigs, isDefault, asJSON bool
	in.Flag("verify", 'V', "Print the commit verification status", &verify)
	in.Flag("skip-signatures", 'S', "Skip signatures in output", &skipSigs)
	in.Flag("is-default", 'D', `Output "default" if booted into the default deployment, otherwise "not-default"`, &isDefault)
	in.OwnFlag("json", 0, "Print the deployments as JSON", &asJSON)
	return func(args []string) error {
		s, release, err := in.OpenSysroot(clikit.SysrootFlags{Unlocked: true})
		if err != nil {
			return err
		}
		defer release()
		r, err := s.Repo(in.Ctx)
		if err != nil {
			return err
		}
		if isDefault {
			return printIsDefault(in, s)
		}
		var pending, rollback *sysroot.Deployment
		if s.Booted != nil {
			pending, rollback = s.Pending("")
		}
		var out []deploymentStatus
		for _, d := range s.Deployments {
			st := deploymentStatus{
				Index: d.Index, Stateroot: d.Stateroot, Checksum: d.Csum, Serial: d.Serial,
				Booted: d.Equal(s.Booted), Pending: d.Equal(pending), Rollback: d.Equal(rollback),
				Staged: d.Staged, Pinned: d.Pinned(), Unlocked: d.Unlocked, BootCsum: d.BootCsum,
				FinalizationLocked: d.Staged && s.FinalizationLocked(), BootSerial: d.BootSerial,
				Path: s.Abs(d.RelPath()),
			}
			if d.BootConfig != nil {
				st.Options = d.BootConfig.Value("options")
			}
			var sourceTitle string
			if c, err := object.ParseChecksum(d.Csum); err == nil {
				if cm, err := r.LoadCommit(in.Ctx, c); err == nil {
					st.Version, _ = cm.Metadata.String("version")
					sourceTitle, _ = cm.Metadata.String("ostree.source-title")
				}
			}
			if d.Origin != nil {
				st.Refspec, _ = d.Origin.String("origin", "refspec")
			}
			st.Health = healthOf(s, d)
			out = append(out, st)
			if asJSON {
				continue
			}
			mark, state := ' ', ""
			if st.Booted {
				mark = '*'
			}
			switch {
			case d.FinalizationLocked:
				state = " (finalization locked)"
			case st.Staged:
				state = " (staged)"
			case st.Pending:
				state = " (pending)"
			case st.Rollback:
				state = " (rollback)"
			}
			fmt.Fprintf(in.Stdout, "%c %s %s.%d%s\n", mark, d.Stateroot, d.Csum, d.Serial, state)
			if st.Version != "" {
				fmt.Fprintf(in.Stdout, "    Version: %s\n", st.Version)
			}
			if d.Unlocked != sysroot.UnlockedNone && d.Unlocked != "" {
				fmt.Fprintf(in.Stdout, "    Unlocked: %s\n", d.Unlocked)
			}
			if st.Pinned {
				fmt.Fprintln(in.Stdout, "    Pinned: yes")
			}
			switch {
			case d.Origin == nil:
				fmt.Fprintln(in.Stdout, "    origin: none")
			case st.Refspec == "":
				fmt.Fprintln(in.Stdout, "    origin: <unknown origin type>")
			default:
				fmt.Fprintf(in.Stdout, "    origin refspec: %s\n", st.Refspec)
			}
			if d.Origin != nil && sourceTitle != "" {
				fmt.Fprintf(in.Stdout, "    `- %s\n", sourceTitle)
			}
			if st.Health != nil {
				fmt.Fprint(in.Stdout, st.Health.line())
			}
			if in.Verbose {
				printStatusVerbose(in, &st)
			}
			switch {
			case verify:
				if err := printDeploymentVerify(in, r, d, st.Refspec); err != nil {
					return err
				}
			case !skipSigs:
				if err := printDeploymentGPG(in, r, d, st.Refspec); err != nil {
					return err
				}
			}
		}
		if asJSON {
			if out == nil {
				out = []deploymentStatus{}
			}
			enc := json.NewEncoder(in.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		}
		if len(s.Deployments) == 0 {
			fmt.Fprintln(in.Stdout, "No deployments.")
		}
		return nil
	}
}

// printIsDefault is `status --is-default`: whether the booted
// deployment is the default one, for scripts deciding on a reboot.
func printIsDefault(in *clikit.Invocation, s *sysroot.Sysroot) error {
	if len(s.Deployments) == 0 {
		return fmt.Errorf("Not in a booted OSTree system")
	}
	if s.Booted != nil && s.Deployments[0].Equal(s.Booted) {
		fmt.Fprintln(in.Stdout, "default")
	} else {
		fmt.Fprintln(in.Stdout, "not-default")
	}
	return nil
}

// printDeploymentGPG prints the commit's GPG signatures when the origin's
// remote verifies them; as libostree does, the keys are those of the
// remote named like the stateroot.
func printDeploymentGPG(in *clikit.Invocation, r *repo.Repo, d *sysroot.Deployment, refspec string) error {
	if refspec == "" {
		return nil
	}
	spec, err := ref.ParseSpec(refspec)
	if err != nil || spec.Remote == "" {
		return nil
	}
	cfg, err := remote.Load(in.Ctx, r)
	if err != nil {
		return nil
	}
	if on, err := cfg.GPGVerify(spec.Remote); err != nil || !on {
		return nil
	}
	c, err := object.ParseChecksum(d.Csum)
	if err != nil {
		return nil
	}
	commit, err := r.LoadMetadata(in.Ctx, c, object.TypeCommit)
	if err != nil {
		return nil
	}
	md, err := r.LoadDetachedMetadata(in.Ctx, c)
	if err != nil || md == nil {
		return nil // not signed
	}
	kr, err := clikit.RemoteTrustedKeys(in, r, d.Stateroot)
	if err != nil {
		return err
	}
	res, err := sign.VerifyMetadata(in.Ctx, kr, commit, md, time.Now())
	if err != nil {
		if errors.Is(err, sign.ErrNoSignatures) {
			return nil
		}
		return err
	}
	for i := range res.Signatures {
		fmt.Fprint(in.Stdout, res.Describe(i, "    GPG: "))
	}
	return nil
}

// printDeploymentVerify is `status --verify`: the commit must carry a
// valid signature for the origin's remote, whose description is printed.
func printDeploymentVerify(in *clikit.Invocation, r *repo.Repo, d *sysroot.Deployment, refspec string) error {
	c, err := object.ParseChecksum(d.Csum)
	if err != nil {
		return err
	}
	commit, err := r.LoadMetadata(in.Ctx, c, object.TypeCommit)
	if err != nil {
		return fmt.Errorf("Cannot verify, failed to load commit")
	}
	if d.Origin == nil {
		return fmt.Errorf("Cannot verify deployment with no origin")
	}
	if refspec == "" {
		return fmt.Errorf("No origin/refspec, cannot verify")
	}
	spec, err := ref.ParseSpec(refspec)
	if err != nil {
		return err
	}
	if spec.Remote == "" {
		return fmt.Errorf("Cannot verify deployment without remote")
	}
	md, err := r.LoadDetachedMetadata(in.Ctx, c)
	if err != nil {
		return err
	}
	if md == nil {
		return fmt.Errorf("Can't verify commit without detached metadata")
	}
	cfg, err := remote.Load(in.Ctx, r)
	if err != nil {
		return err
	}
	on, err := cfg.GPGVerify(spec.Remote)
	if err != nil {
		return err
	}
	if !on {
		return fmt.Errorf("Cannot verify commit for remote %s; GPG verification disabled, and no signapi verifiers configured", spec.Remote)
	}
	kr, err := clikit.RemoteTrustedKeys(in, r, spec.Remote)
	if err != nil {
		return err
	}
	res, err := sign.VerifyMetadata(in.Ctx, kr, commit, md, time.Now())
	if err == nil {
		err = res.RequireValid()
	}
	if err != nil {
		return err
	}
	var b strings.Builder
	for i := range res.Signatures {
		b.WriteString(res.Describe(i, "GPG: "))
	}
	fmt.Fprintln(in.Stdout, b.String())
	return nil
}

// printStatusVerbose adds the boot details to `admin status -v` (a
// gostree extension; the reference's -v only turns on debug output).
func printStatusVerbose(in *clikit.Invocation, st *deploymentStatus) {
	fmt.Fprintf(in.Stdout, "    Boot checksum: %s\n", st.BootCsum)
	if st.Staged {
		locked := "at shutdown"
		if st.FinalizationLocked {
			locked = "locked"
		}
		fmt.Fprintf(in.Stdout, "    Finalization: %s\n", locked)
	} else {
		fmt.Fprintf(in.Stdout, "    Boot serial: %d\n", st.BootSerial)
	}
	if st.Options != "" {
		fmt.Fprintf(in.Stdout, "    Options: %s\n", st.Options)
	}
	fmt.Fprintf(in.Stdout, "    Path: %s\n", st.Path)
}
