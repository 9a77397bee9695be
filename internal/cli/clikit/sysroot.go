package clikit

import (
	"fmt"
	"os"

	"github.com/gostree/gostree/internal/sysroot"
)

// HostOptions are the running system's paths the sysroot consults; tests
// point them at a simulated booted host.
var HostOptions sysroot.Options

// sysrootPath is --sysroot, else $OSTREE_SYSROOT, else "/".
func (in *Invocation) sysrootPath() string {
	if in.SysrootArg != "" {
		return in.SysrootArg
	}
	if in.Env != nil {
		if p := in.Env("OSTREE_SYSROOT"); p != "" {
			return p
		}
	}
	return "/"
}

// SysrootFlags say how an admin command needs its sysroot.
type SysrootFlags struct {
	// NoLoad skips loading the deployments.
	NoLoad bool
	// Unlocked skips the sysroot lock.
	Unlocked bool
	// Superuser requires root when the sysroot is the booted system.
	Superuser bool
}

// OpenSysroot opens (and unless NoLoad, locks and loads) the sysroot;
// the returned function releases the lock.
func (in *Invocation) OpenSysroot(f SysrootFlags) (*sysroot.Sysroot, func(), error) {
	if f.Superuser {
		if err := ensureWritableSysroot(in.sysrootPath()); err != nil {
			return nil, nil, err
		}
	}
	s, err := sysroot.Open(in.sysrootPath(), HostOptions)
	if err != nil {
		return nil, nil, err
	}
	s.OnMessage = func(msg string) { fmt.Fprintln(in.Stdout, msg) }
	s.OnPruned = func(freed int64) { fmt.Fprintf(in.Stdout, "Freed objects: %s\n", FormatSizeGLib(uint64(freed))) }
	release := func() {}
	if f.NoLoad {
		return s, release, nil
	}
	if !f.Unlocked {
		if release, err = in.LockSysroot(s); err != nil {
			return nil, nil, err
		}
	}
	if err := s.Load(in.Ctx); err != nil {
		release()
		return nil, nil, err
	}
	if f.Superuser && s.Booted != nil && os.Getuid() != 0 {
		release()
		return nil, nil, fmt.Errorf("You must be root to perform this command")
	}
	return s, release, nil
}

// LockSysroot takes the sysroot lock, saying so when it has to wait.
func (in *Invocation) LockSysroot(s *sysroot.Sysroot) (func(), error) {
	release, err := s.Lock(in.Ctx, false)
	if err == nil {
		return release, nil
	}
	fmt.Fprintln(in.Stdout, "Waiting for sysroot lock...")
	return s.Lock(in.Ctx, true)
}

// runPrintCurrentDir is `ostree admin --print-current-dir`: the first
// deployment's directory.
func runPrintCurrentDir(in *Invocation) int {
	s, release, err := in.OpenSysroot(SysrootFlags{})
	if err != nil {
		fmt.Fprintf(in.Stderr, "error: %s\n", ErrorText(err))
		return 1
	}
	defer release()
	if len(s.Deployments) == 0 {
		fmt.Fprintln(in.Stderr, "error: Unable to find a deployment in sysroot")
		return 1
	}
	fmt.Fprintln(in.Stdout, s.Abs(s.Deployments[0].RelPath()))
	return 0
}
