package sysroot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gostree/gostree/internal/bootloader"
	"github.com/gostree/gostree/internal/grubenv"
	"github.com/gostree/gostree/internal/health"
)

// DefaultBootAttempts is how often a new default boots before the loader
// falls back, when greenboot.conf does not say (greenboot's default).
const DefaultBootAttempts = 3

// grubenv variables, named as greenboot and Fedora's GRUB snippets name
// them so that their grub.cfg fragments work with what we write.
const (
	envBootCounter = "boot_counter"
	envBootSuccess = "boot_success"
)

// grubenvPaths are where a GRUB environment block turns counting on.
var grubenvPaths = []string{"boot/grub/grubenv", "boot/grub2/grubenv"}

// BootCountState is what the boot loader's counter says about the default
// deployment.
type BootCountState struct {
	Backend  string // "grubenv", "bls" or "" when nothing counts boots
	Armed    bool   // a counter is pending for the default deployment
	Left     int    // attempts left as the loader sees them
	FellBack bool   // the loader gave up on the default (grubenv boot_counter=-1; BLS +0 default)
}

// grubenvPath returns the sysroot's grubenv, or "" when it has none.
func (s *Sysroot) grubenvPath() (string, error) {
	for _, p := range grubenvPaths {
		_, err := os.Stat(s.Abs(p))
		if err == nil {
			return s.Abs(p), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return "", nil
}

// BootCountState reads the counter of the backend in use: grubenv when
// the sysroot has one, else BLS entry names when they count.
func (s *Sysroot) BootCountState() (BootCountState, error) {
	env, err := s.grubenvPath()
	if err != nil {
		return BootCountState{}, err
	}
	if env != "" {
		return grubenvState(env)
	}
	return s.blsState()
}

func grubenvState(path string) (BootCountState, error) {
	st := BootCountState{Backend: "grubenv"}
	e, err := grubenv.Read(path)
	if err != nil {
		return st, err
	}
	v, ok := e.Get(envBootCounter)
	if !ok {
		return st, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < -1 {
		return st, fmt.Errorf("%s: invalid %s=%q", path, envBootCounter, v)
	}
	st.Armed = true
	st.Left = max(n, 0)
	st.FellBack = n == -1
	return st, nil
}

// MarkBootGood records that the booted deployment passed its checks:
// grubenv boot_success=1 and boot_counter unset; with BLS counting the
// booted entry loses its counter.
func (s *Sysroot) MarkBootGood(ctx context.Context) error {
	env, err := s.grubenvPath()
	if err != nil {
		return err
	}
	if env != "" {
		return grubenv.Update(env, func(e *grubenv.Env) error {
			e.Unset(envBootCounter)
			return e.Set(envBootSuccess, "1")
		})
	}
	return s.blessBooted()
}

// CommitFallback makes a loader fallback durable: failed's commit goes
// into its stateroot's failed list first (so that a crash before the
// reorder repeats the fallback rather than losing the reason), then the
// booted deployment becomes the default, and the counter is disarmed.
func (s *Sysroot) CommitFallback(ctx context.Context, failed *Deployment, reason string) error {
	booted := s.Booted
	if booted == nil {
		return fmt.Errorf("committing fallback: not booted into a deployment")
	}
	if failed == nil || failed.Equal(booted) {
		return fmt.Errorf("committing fallback: the failed deployment must be another than the booted one")
	}
	err := s.healthStore(failed.Stateroot).MarkFailed(failed.Csum, health.FailedCommit{
		Commit: failed.Csum, Deployment: failed.Name(), Stateroot: failed.Stateroot,
		When: time.Now().UTC(), Reason: reason,
	})
	if err != nil {
		return fmt.Errorf("committing fallback from %s: %w", failed.Name(), err)
	}
	for i, d := range s.Deployments {
		if d.Equal(booted) && i != 0 {
			// WriteDeployments disarms: an existing deployment moves first.
			if _, err := s.SetDefault(ctx, i); err != nil {
				return fmt.Errorf("committing fallback to %s: %w", booted.Name(), err)
			}
			return nil
		}
	}
	return s.disarmBootCount()
}

// healthStore is the health record store in stateroot's var.
func (s *Sysroot) healthStore(stateroot string) *health.Store {
	return health.OpenStore(s.Abs(filepath.Join("ostree/deploy", stateroot, "var")))
}

// updateBootCount runs once a deployment list is committed: a new
// deployment first arms the counter (when there is an entry 1 to fall
// back to), an older one moved first disarms it, an unchanged default
// leaves it alone. Arming after the commit means a power loss in between
// boots the new default uncounted, never an old default counted.
func (s *Sysroot) updateBootCount(prevDefault *Deployment, list []*Deployment, isNew bool) error {
	if len(list) == 0 || list[0].Equal(prevDefault) {
		return nil
	}
	newDefault := list[0]
	if !isNew || len(list) < 2 {
		return s.disarmBootCount()
	}
	env, err := s.grubenvPath()
	if err != nil || env == "" {
		return err
	}
	n, err := s.bootAttempts(newDefault)
	if err != nil {
		return err
	}
	// Our grub.cfg counts down with an if-chain of this length.
	n = min(n, bootloader.GrubMaxBootCounter)
	return grubenv.Update(env, func(e *grubenv.Env) error {
		if err := e.Set(envBootCounter, strconv.Itoa(n)); err != nil {
			return err
		}
		return e.Set(envBootSuccess, "0")
	})
}

// disarmBootCount unsets a pending grubenv counter.
func (s *Sysroot) disarmBootCount() error {
	env, err := s.grubenvPath()
	if err != nil || env == "" {
		return err
	}
	return grubenv.Update(env, func(e *grubenv.Env) error {
		e.Unset(envBootCounter)
		return nil
	})
}

// bootAttempts is GREENBOOT_MAX_BOOT_ATTEMPTS from d's greenboot.conf
// (etc, then usr/etc), or DefaultBootAttempts.
func (s *Sysroot) bootAttempts(d *Deployment) (int, error) {
	root := s.Abs(d.RelPath())
	for _, dir := range []string{root, filepath.Join(root, "usr")} {
		p := filepath.Join(dir, health.ConfigPath)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n := health.ParseConfig(b).MaxBootAttempts; n > 0 {
			return n, nil
		}
		return DefaultBootAttempts, nil
	}
	return DefaultBootAttempts, nil
}
