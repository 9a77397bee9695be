package admin

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/health"
	"github.com/gostree/gostree/internal/sysroot"
)

// commitFallback makes a loader fallback durable when the default did not
// boot and the counter says the loader gave up on it. It reports whether
// it did.
func commitFallback(in *clikit.Invocation, s *sysroot.Sysroot, booted *sysroot.Deployment, count sysroot.BootCountState, rec *health.BootRecord) (bool, error) {
	def := defaultDeployment(s)
	if def == nil || booted.Equal(def) || !(count.FellBack || count.Armed && count.Left == 0) {
		return false, nil
	}
	store := stateRootStore(s, def.Stateroot)
	reason, check := fallbackReason(s, store, def)
	in.Printf("health: fallback boot detected: %s did not boot (%s); making %s the default\n", def.Name(), reason, booted.Name())
	err := withSysrootLock(in, s, func() error {
		// Reload: the list may have changed while we were unlocked.
		if err := s.Load(in.Ctx); err != nil {
			return err
		}
		failed := defaultDeployment(s)
		if failed == nil || !failed.Equal(def) {
			return fmt.Errorf("the default deployment changed to %s while committing the fallback from %s", nameOf(failed), def.Name())
		}
		return s.CommitFallback(in.Ctx, failed, reason)
	})
	if err != nil {
		return false, fmt.Errorf("committing fallback from %s: %w", def.Name(), err)
	}
	fc := health.FailedCommit{Commit: def.Csum, Deployment: def.Name(), Stateroot: def.Stateroot, When: time.Now().UTC(), Reason: reason, Check: check}
	if m, err := store.FailedCommits(); err == nil {
		if f, ok := m[def.Csum]; ok {
			fc.When = f.When
		}
	}
	if check != nil {
		// CommitFallback keeps the reason; the check's output goes with it.
		if err := store.MarkFailed(def.Csum, fc); err != nil {
			in.Printf("health: recording the failed check of %s: %s\n", def.Name(), clikit.ErrorText(err))
		}
	}
	rec.FallbackFrom = &fc
	return true, nil
}

// fallbackReason is why the default failed: its last failed record, or
// that it never got as far as the checks.
func fallbackReason(s *sysroot.Sysroot, store *health.Store, def *sysroot.Deployment) (string, *health.CheckResult) {
	if r, err := store.LastFor(def.Name()); err == nil && r != nil && r.Result == health.ResultFailed {
		if c := r.FailedCheck(); c != nil {
			cc := *c
			return fmt.Sprintf("required check %s failed (%s)", c.Name, health.Describe(c)), &cc
		}
		return "health checks failed", nil
	}
	n := sysroot.DefaultBootAttempts
	root := s.Abs(def.RelPath())
	for _, dir := range []string{root, filepath.Join(root, "usr")} {
		if c, err := health.LoadConfig(dir); err == nil && c.MaxBootAttempts > 0 {
			n = c.MaxBootAttempts
			break
		}
	}
	return fmt.Sprintf("did not finish booting after %d attempts", n), nil
}

// keepFallback carries the fallback of an earlier run in the same boot
// over to rec, which replaces that run's record.
func keepFallback(store *health.Store, rec *health.BootRecord) {
	if rec.FallbackFrom != nil || rec.BootID == "" {
		return
	}
	boots, err := store.Boots()
	if err != nil {
		return
	}
	for _, b := range boots {
		if b.BootID == rec.BootID && b.FallbackFrom != nil {
			rec.FallbackFrom = b.FallbackFrom
		}
	}
}
