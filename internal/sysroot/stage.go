package sysroot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/gvariant"
)

// finalizeFailureStamp, under boot/, records why finalization failed so
// that the next boot can report it (BootComplete).
const finalizeFailureStamp = "ostree/finalize-failure.stamp"

// StageOptions configure StageTree.
type StageOptions struct {
	// LockFinalization records "locked" in the staged state, as
	// libostree 2023.8+ does, and creates the legacy lock file that
	// older versions look for before the staged deployment appears;
	// shutdown leaves it alone while either says so.
	LockFinalization bool
}

// journal reports what libostree writes only to the journal.
func (s *Sysroot) journal(format string, args ...any) {
	if s.OnJournal != nil {
		s.OnJournal(fmt.Sprintf(format, args...))
	}
}

// StageTree is DeployTree for a booted system, split in two: the
// checkout happens now, while the /etc merge and the boot configuration
// wait for shutdown (FinalizeStaged), so that changes made to /etc
// until then carry over. What finalization needs is recorded in
// RunDir/staged-deployment, which lives in /run and so disappears with a
// crash: an unfinalized deployment is then an unreferenced directory
// that Cleanup removes. A previously staged deployment is replaced.
func (s *Sysroot) StageTree(ctx context.Context, opts DeployOptions, sopts StageOptions) (*DeployResult, error) {
	if _, err := s.RequireBooted(); err != nil {
		return nil, fmt.Errorf("Cannot stage deployment: %w", err)
	}
	if sopts.LockFinalization {
		if err := s.touchStagedLock(); err != nil {
			return nil, err
		}
	}
	res, err := s.initDeployment(ctx, opts)
	if err != nil {
		return nil, err
	}
	d := res.Deployment
	if err := s.writeOrigin(d, d.Origin, false); err != nil {
		return nil, err
	}
	data, err := stagedData(d, opts, sopts.LockFinalization)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(s.stagedPath()), 0o755); err != nil {
		return nil, err
	}
	if err := fsx.WriteFileAtomic(s.stagedPath(), data, 0o644, false); err != nil {
		return nil, fmt.Errorf("writing %s: %w", s.stagedPath(), err)
	}
	if prev := s.Staged; prev != nil && !prev.Equal(d) {
		if err := s.removeDeployment(prev); err != nil {
			return nil, err
		}
	}
	if err := s.BumpMtime(); err != nil {
		return nil, err
	}
	if err := s.Load(ctx); err != nil {
		return nil, err
	}
	// As after a deploy: among other things this writes the ref that
	// keeps the staged commit from being pruned.
	if err := s.Cleanup(ctx, CleanupOptions{}); err != nil {
		return nil, err
	}
	if s.Staged != nil {
		res.Deployment = s.Staged
	}
	return res, nil
}

// touchStagedLock creates the finalization lock file.
func (s *Sysroot) touchStagedLock() error {
	p := s.stagedLockedPath()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	fd, err := unix.Open(p, unix.O_CREAT|unix.O_WRONLY|unix.O_NOCTTY|unix.O_CLOEXEC, 0o640)
	if err != nil {
		return fmt.Errorf("touch(%s): %w", p, err)
	}
	return unix.Close(fd)
}

// FinalizationLocked reports whether shutdown would leave the staged
// deployment alone: its state says "locked", or the legacy lock file
// exists.
func (s *Sysroot) FinalizationLocked() bool {
	if s.Staged == nil {
		return false
	}
	if s.Staged.FinalizationLocked {
		return true
	}
	_, err := os.Stat(s.stagedLockedPath())
	return err == nil
}

// stagedData serializes what finalization needs as libostree does: an
// a{sv} with the target deployment, "locked" when finalization is
// locked, the merge deployment, the kernel arguments and the overlay
// initrds, each present only when set, in this order.
func stagedData(d *Deployment, opts DeployOptions, locked bool) ([]byte, error) {
	dict := []any{gvariant.DictEntry{Key: "target", Value: deploymentVariant(d)}}
	if locked {
		dict = append(dict, gvariant.DictEntry{Key: stagedKeyLocked, Value: gvariant.NewVariant("b", true)})
	}
	if opts.Merge != nil {
		dict = append(dict, gvariant.DictEntry{Key: "merge-deployment", Value: deploymentVariant(opts.Merge)})
	}
	if opts.Kargs != nil {
		dict = append(dict, gvariant.DictEntry{Key: "kargs", Value: gvariant.NewVariant("as", append([]string{}, opts.Kargs...))})
	}
	if opts.OverlayInitrds != nil {
		dict = append(dict, gvariant.DictEntry{Key: "overlay-initrds", Value: gvariant.NewVariant("as", append([]string{}, opts.OverlayInitrds...))})
	}
	return gvariant.Marshal(gvariant.MustType("a{sv}"), dict)
}

// deploymentVariant names a deployment the way the staged state does.
func deploymentVariant(d *Deployment) gvariant.Variant {
	return gvariant.NewVariant("a{sv}", []any{
		gvariant.DictEntry{Key: "name", Value: gvariant.NewVariant("s", d.Name())},
		gvariant.DictEntry{Key: "osname", Value: gvariant.NewVariant("s", d.Stateroot)},
		gvariant.DictEntry{Key: "bootcsum", Value: gvariant.NewVariant("s", d.BootCsum)},
	})
}

// FinalizeStaged completes the staged deployment at shutdown: the /etc
// merge from the recorded merge deployment, then the boot configuration
// with the staged deployment first. Nothing happens without a staged
// deployment or while its finalization is locked. A failure is also
// written to boot/ostree/finalize-failure.stamp for BootComplete to
// report on the next boot.
func (s *Sysroot) FinalizeStaged(ctx context.Context) error {
	err := s.finalizeStaged(ctx)
	if err == nil {
		return nil
	}
	stamp := s.Abs(filepath.Join("boot", finalizeFailureStamp))
	if werr := fsx.WriteFileAtomic(stamp, []byte(err.Error()), 0o644, true); werr != nil {
		return fmt.Errorf("%w (writing %s: %v)", err, finalizeFailureStamp, werr)
	}
	return err
}

func (s *Sysroot) finalizeStaged(ctx context.Context) error {
	staged := s.Staged
	if staged == nil {
		s.journal("No deployment staged for finalization")
		return nil
	}
	if staged.FinalizationLocked {
		s.journal("Not finalizing; deployment is locked for finalization")
		return nil
	}
	_, err := os.Stat(s.stagedLockedPath())
	if err == nil {
		s.journal("Not finalizing; found %s", s.stagedLockedPath())
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	s.journal("Finalizing staged deployment")
	var merge *Deployment
	if s.stagedMerge != nil {
		stub, err := deploymentFromVariant(s.stagedMerge)
		if err != nil {
			return err
		}
		for _, d := range s.Deployments {
			if d.Equal(stub) {
				merge = d
				break
			}
		}
		if merge == nil {
			return fmt.Errorf("Failed to find merge deployment %s.%d for staged", stub.Csum, stub.Serial)
		}
	}
	// The state goes first: if shutdown is interrupted during the /etc
	// merge, the half-merged deployment must not be finalized later.
	if err := os.Remove(s.stagedPath()); err != nil {
		return fmt.Errorf("unlinkat(%s): %w", s.stagedPath(), err)
	}
	if _, err := s.finalizeDeployment(ctx, staged, merge); err != nil {
		return err
	}
	// From here on it is an ordinary deployment.
	staged.Staged = false
	s.Staged, s.stagedMerge = nil, nil
	if len(s.Deployments) > 0 && s.Deployments[0] == staged {
		s.Deployments = s.Deployments[1:]
	}
	if err := s.SimpleWriteDeployment(ctx, staged.Stateroot, staged, merge, SimpleWriteFlags{NoClean: true}); err != nil {
		return err
	}
	return s.Cleanup(ctx, CleanupOptions{})
}

// BootComplete reports, once, a finalization failure recorded during
// the previous shutdown.
func (s *Sysroot) BootComplete(ctx context.Context) error {
	stamp := s.Abs(filepath.Join("boot", finalizeFailureStamp))
	b, err := os.ReadFile(stamp)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("Reading from %s: %w", finalizeFailureStamp, err)
	}
	_ = os.Remove(stamp) // report it only once
	return fmt.Errorf("ostree-finalize-staged.service failed on previous boot: %s", b)
}
