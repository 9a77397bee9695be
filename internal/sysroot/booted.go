package sysroot

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/bootloader"
	"github.com/gostree/gostree/internal/gvariant"
)

// bootedFlagPath is where ostree-prepare-root leaves its mark; error
// messages name it whatever Options.BootedFlag says.
const bootedFlagPath = "/run/ostree-booted"

// Options say where Open finds the running system's state. The zero
// value means the real host; tests point the fields at a temporary
// directory to simulate a booted system.
type Options struct {
	// Root is the running root filesystem ("/"). The sysroot is the
	// booted one when it is this directory, and the booted deployment
	// is the one whose directory it is (same device and inode), as a
	// deployment bind-mounted over / is after boot.
	Root string
	// BootedFlag exists when the system booted into a deployment
	// (/run/ostree-booted).
	BootedFlag string
	// RunDir holds the runtime state (/run/ostree): the staged
	// deployment, its finalization lock, the staged overlay initrds and
	// the per-deployment unlock flags.
	RunDir string
	// Cmdline is the kernel command line (/proc/cmdline), whose ostree=
	// argument names the booted deployment when / is not its directory.
	Cmdline string
}

// WithDefaults fills the empty fields with the real host's paths.
func (o Options) WithDefaults() Options {
	if o.Root == "" {
		o.Root = "/"
	}
	if o.BootedFlag == "" {
		o.BootedFlag = bootedFlagPath
	}
	if o.RunDir == "" {
		o.RunDir = "/run/ostree"
	}
	if o.Cmdline == "" {
		o.Cmdline = "/proc/cmdline"
	}
	o.Root = filepath.Clean(o.Root)
	return o
}

// Runtime state under RunDir, named as libostree names it.
const (
	runStaged        = "staged-deployment"
	runStagedLocked  = "staged-deployment-locked"
	runDeploymentDir = "deployment-state"
	flagDevelopment  = "unlocked-development"
	flagTransient    = "unlocked-transient"
)

func (s *Sysroot) runPath(name string) string { return filepath.Join(s.host.RunDir, name) }

// stagedPath is the serialized staged deployment.
func (s *Sysroot) stagedPath() string { return s.runPath(runStaged) }

// stagedLockedPath, when it exists, keeps finalization from happening.
func (s *Sysroot) stagedLockedPath() string { return s.runPath(runStagedLocked) }

// runstatePath is a per-deployment flag file (deployment-state/CSUM.SERIAL/KEY).
func (s *Sysroot) runstatePath(d *Deployment, key string) string {
	return filepath.Join(s.host.RunDir, runDeploymentDir, d.Name(), key)
}

// hostPath is p (absolute) on the running system.
func (s *Sysroot) hostPath(p string) string { return filepath.Join(s.host.Root, p) }

// realHost reports whether the sysroot describes the actual running
// system rather than a simulated one, so that mounting is allowed.
func (s *Sysroot) realHost() bool { return s.host.Root == "/" }

// detectBooted records the root's identity and whether the sysroot at
// st is the booted one: the booted flag exists and the sysroot is /.
func (s *Sysroot) detectBooted(st *unix.Stat_t) error {
	var root unix.Stat_t
	if err := unix.Stat(s.host.Root, &root); err != nil {
		return fmt.Errorf("stat %s: %w", s.host.Root, err)
	}
	s.rootDev, s.rootIno = uint64(root.Dev), root.Ino
	_, err := os.Stat(s.host.BootedFlag)
	switch {
	case err == nil:
		s.rootIsBooted = uint64(st.Dev) == s.rootDev && st.Ino == s.rootIno
		// As libostree 2023.6+: the deployment directory's device and
		// inode recorded by prepare-root identify the booted deployment;
		// a composefs or overlay root is not that directory, and its
		// ostree= bootlink is gone after the next bootlinks swap.
		if dev, ino, ok := backingRootDevIno(s.host.BootedFlag); ok {
			s.rootDev, s.rootIno = dev, ino
		}
	case errors.Is(err, fs.ErrNotExist):
		s.rootIsBooted = false
	default:
		return fmt.Errorf("stat %s: %w", s.host.BootedFlag, err)
	}
	return nil
}

// backingRootDevIno reads backing-root-device-inode from the booted flag
// file, an a{sv} since libostree 2023.6 (older ones leave it empty).
func backingRootDevIno(flag string) (uint64, uint64, bool) {
	b, err := os.ReadFile(flag)
	if err != nil || len(b) == 0 {
		return 0, 0, false
	}
	v, err := gvariant.Unmarshal(gvariant.MustType("a{sv}"), b)
	if err != nil {
		return 0, 0, false
	}
	dict, _ := v.([]any)
	x, ok := gvariant.Lookup(dict, "backing-root-device-inode")
	if !ok || x.Type.String() != "(tt)" {
		return 0, 0, false
	}
	f, _ := x.Value.([]any)
	if len(f) != 2 {
		return 0, 0, false
	}
	dev, ok1 := f[0].(uint64)
	ino, ok2 := f[1].(uint64)
	return dev, ino, ok1 && ok2
}

// bootedFromCmdline finds the booted deployment through the ostree=
// argument of the kernel command line, for roots that are not the
// deployment directory itself (an overlay or composefs root). The
// argument's bootlink is resolved now: it names the booted deployment
// until the next bootlinks swap, and the device/inode match, which is
// always tried first, covers the common case.
func (s *Sysroot) bootedFromCmdline(deps []*Deployment) *Deployment {
	b, err := os.ReadFile(s.host.Cmdline)
	if err != nil {
		return nil
	}
	k := bootloader.ParseKernelArgs(string(bytes.TrimSpace(b)))
	arg, ok := k.LastValue("ostree")
	if !ok || arg == "" {
		return nil
	}
	if _, err := parseBootlink(arg); err != nil {
		return nil
	}
	var want unix.Stat_t
	if err := unix.Stat(s.Abs(arg), &want); err != nil {
		return nil
	}
	for _, d := range deps {
		var st unix.Stat_t
		if unix.Stat(s.Abs(d.RelPath()), &st) == nil && st.Dev == want.Dev && st.Ino == want.Ino {
			return d
		}
	}
	return nil
}

// IsBooted reports whether the sysroot is the running system's root.
func (s *Sysroot) IsBooted() bool { return s.rootIsBooted }

// RequireBooted returns the booted deployment, or libostree's error
// when the sysroot is not the running system.
func (s *Sysroot) RequireBooted() (*Deployment, error) {
	if s.Booted == nil {
		return nil, errNotBooted
	}
	return s.Booted, nil
}

// errNotBooted is libostree's text, which scripts match.
var errNotBooted = errors.New("Not currently booted into an OSTree system")
