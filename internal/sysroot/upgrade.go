package sysroot

import (
	"context"
	"fmt"
	"os"

	"github.com/gostree/gostree/internal/health"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/ref"
)

// PullFunc fetches refs (or a commit checksum) from remote into the
// system repository; timestampFrom, when set, refuses commits older than
// it. The CLI supplies it so that signature checks follow the remote's
// configuration.
type PullFunc func(ctx context.Context, remote string, refs []string, timestampFrom *object.Checksum) error

// Upgrader follows a stateroot's origin: it pulls the newest commit of
// the origin refspec and deploys it over the merge deployment.
type Upgrader struct {
	s         *Sysroot
	Stateroot string
	Merge     *Deployment
	Origin    *keyfile.File

	remote, ref, override string
	// NewRevision is the commit Pull settled on.
	NewRevision object.Checksum
	// Stage makes Deploy stage the deployment for finalization at
	// shutdown (as OSTREE_EX_STAGE_DEPLOYMENTS does).
	Stage bool
	// AllowFailed lets Deploy deploy a commit the stateroot's health
	// store lists as rolled back, and then drops it from that list.
	AllowFailed bool
}

// FailedCommitError refuses a commit that was rolled back before.
type FailedCommitError struct {
	Failed health.FailedCommit
}

func (e *FailedCommitError) Error() string {
	msg := fmt.Sprintf("Commit %s was rolled back on %s", e.Failed.Commit, e.Failed.When.Format("2006-01-02"))
	if e.Failed.Reason != "" {
		msg += ": " + e.Failed.Reason
	}
	return msg
}

// checkFailed refuses NewRevision when the health store lists it as
// failed, unless AllowFailed; it reports whether it is listed.
func (u *Upgrader) checkFailed() (bool, error) {
	failed, err := u.s.healthStore(u.Stateroot).FailedCommits()
	if err != nil {
		return false, err
	}
	f, ok := failed[u.NewRevision.String()]
	if !ok {
		return false, nil
	}
	if !u.AllowFailed {
		if f.Commit == "" {
			f.Commit = u.NewRevision.String()
		}
		return true, &FailedCommitError{Failed: f}
	}
	return true, nil
}

// NewUpgrader prepares an upgrade of stateroot ("" for the booted one).
func (s *Sysroot) NewUpgrader(stateroot string, ignoreUnconfigured bool) (*Upgrader, error) {
	if s.Booted == nil && stateroot == "" {
		return nil, fmt.Errorf("Not currently booted into an OSTree system and no OS specified")
	}
	if stateroot == "" {
		stateroot = s.Booted.Stateroot
	}
	u := &Upgrader{s: s, Stateroot: stateroot}
	u.Merge = s.MergeDeployment(stateroot)
	if u.Merge == nil {
		return nil, fmt.Errorf("No previous deployment for OS '%s'", stateroot)
	}
	if u.Merge.Origin == nil {
		return nil, fmt.Errorf("No origin known for deployment %s", u.Merge.Name())
	}
	origin, err := keyfile.Parse(u.Merge.Origin.Bytes())
	if err != nil {
		return nil, err
	}
	if err := u.SetOrigin(origin, ignoreUnconfigured); err != nil {
		return nil, err
	}
	return u, nil
}

// SetOrigin replaces the origin the upgrade follows.
func (u *Upgrader) SetOrigin(origin *keyfile.File, ignoreUnconfigured bool) error {
	if !ignoreUnconfigured {
		if v, ok := origin.String("origin", "unconfigured-state"); ok {
			return fmt.Errorf("origin unconfigured-state: %s", v)
		}
	}
	refspec, ok := origin.String("origin", "refspec")
	if !ok {
		return fmt.Errorf("No origin/refspec in current deployment origin; cannot upgrade via ostree")
	}
	spec, err := ref.ParseSpec(refspec)
	if err != nil {
		return err
	}
	u.remote, u.ref, u.override = spec.Remote, spec.Ref, ""
	if c, ok := origin.String("origin", "override-commit"); ok {
		if _, err := object.ParseChecksum(c); err != nil || len(c) != 64 {
			return fmt.Errorf("Invalid checksum '%s'", c)
		}
		u.override = c
	}
	u.Origin = origin
	return nil
}

// RemoveTransientState drops what must not carry over to a new
// deployment: the pin, override-commit and the unlocked state.
func RemoveTransientState(origin *keyfile.File) {
	origin.RemoveGroup("libostree-transient")
	origin.RemoveKey("origin", "override-commit")
	origin.RemoveKey("origin", "unlocked")
}

func (u *Upgrader) refspec() string {
	if u.remote != "" {
		return u.remote + ":" + u.ref
	}
	return u.ref
}

// Pull fetches the origin (unless synthetic, which only resolves what is
// local), follows an end-of-life rebase, and reports whether the target
// differs from the merge deployment. Unless allowOlder, a target older
// than the merge deployment is refused.
func (u *Upgrader) Pull(ctx context.Context, fetch PullFunc, synthetic, allowOlder bool) (bool, error) {
	r, err := u.s.Repo(ctx)
	if err != nil {
		return false, err
	}
	from, err := object.ParseChecksum(u.Merge.Csum)
	if err != nil {
		return false, err
	}
	target := u.ref
	if u.override != "" {
		target = u.override
	}
	if u.remote != "" && !synthetic {
		var tsFrom *object.Checksum
		if !allowOlder {
			tsFrom = &from
		}
		if err := fetch(ctx, u.remote, []string{target}, tsFrom); err != nil {
			return false, err
		}
	}
	rev, err := r.ResolveRev(ctx, u.refspec(), false)
	if err != nil {
		return false, err
	}
	cm, err := r.LoadCommit(ctx, rev)
	if err != nil {
		return false, err
	}
	if rebase, ok := cm.Metadata.String("ostree.endoflife-rebase"); ok {
		if u.remote != "" && !synthetic {
			if err := fetch(ctx, u.remote, []string{rebase}, nil); err != nil {
				return false, err
			}
		}
		u.ref = rebase
		u.Origin.SetString("origin", "refspec", u.refspec())
	}
	if u.override != "" {
		c, _ := object.ParseChecksum(u.override)
		if err := r.SetRef(ctx, u.remote, u.ref, &c); err != nil {
			return false, err
		}
		u.NewRevision = c
	} else if u.NewRevision, err = r.ResolveRev(ctx, u.refspec(), false); err != nil {
		return false, err
	}
	if u.NewRevision == from {
		return false, nil
	}
	if !allowOlder {
		old, err := r.LoadCommit(ctx, from)
		if err != nil {
			return false, err
		}
		nc, err := r.LoadCommit(ctx, u.NewRevision)
		if err != nil {
			return false, err
		}
		if err := pull.CheckTimestamps(from, old.Timestamp, u.NewRevision, nc.Timestamp); err != nil {
			return false, err
		}
	}
	return true, nil
}

// Deploy deploys NewRevision over the merge deployment and makes it the
// default. A commit the health store lists as rolled back is refused
// unless AllowFailed, which also takes it off the list once deployed.
func (u *Upgrader) Deploy(ctx context.Context) (*Deployment, error) {
	listed, err := u.checkFailed()
	if err != nil {
		return nil, err
	}
	d, err := u.deploy(ctx)
	if err != nil || !listed {
		return d, err
	}
	if err := u.s.healthStore(u.Stateroot).ClearFailed(u.NewRevision.String()); err != nil {
		return d, fmt.Errorf("deployed %s, but clearing its failed record: %w", u.NewRevision, err)
	}
	return d, nil
}

func (u *Upgrader) deploy(ctx context.Context) (*Deployment, error) {
	// libostree's experimental switch stages too.
	if u.Stage || os.Getenv("OSTREE_EX_STAGE_DEPLOYMENTS") != "" {
		res, err := u.s.StageTree(ctx, DeployOptions{Stateroot: u.Stateroot, Commit: u.NewRevision, Origin: u.Origin, Merge: u.Merge}, StageOptions{})
		if err != nil {
			return nil, err
		}
		return res.Deployment, nil
	}
	res, err := u.s.DeployTree(ctx, DeployOptions{Stateroot: u.Stateroot, Commit: u.NewRevision, Origin: u.Origin, Merge: u.Merge})
	if err != nil {
		return nil, err
	}
	if err := u.s.SimpleWriteDeployment(ctx, u.Stateroot, res.Deployment, u.Merge, SimpleWriteFlags{}); err != nil {
		return nil, err
	}
	return res.Deployment, nil
}
