package sysroot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/bootloader"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/repo"
)

// lockFile is the sysroot lock that libostree's writers take.
const lockFile = "ostree/lock"

// Sysroot is a loaded physical root.
type Sysroot struct {
	path string

	// BootVersion is the target of boot/loader (loader.0 or loader.1)
	// and SubBootVersion that of ostree/boot.BOOTVERSION.
	BootVersion    int
	SubBootVersion int
	// Deployments in boot order: index 0 is the default; a staged
	// deployment comes first.
	Deployments []*Deployment
	// Booted is the deployment / runs from (nil unless booted).
	Booted *Deployment
	// Staged is the deployment staged for the next shutdown, if any.
	Staged *Deployment

	// OnMessage receives the progress messages libostree sends to the
	// journal and the CLI prints ("Copying /etc changes: ...",
	// "Transaction complete; ...").
	OnMessage func(string)
	// OnJournal receives what libostree sends only to the journal
	// ("Finalizing staged deployment", ...).
	OnJournal func(string)
	// OnPruned receives the bytes a cleanup freed in the system repo.
	OnPruned func(freed int64)
	// Debug holds OSTREE_SYSROOT_DEBUG, read by Open.
	Debug DebugFlags
	// Opts holds OSTREE_SYSROOT_OPTS, read by Open.
	Opts GlobalOpts

	host         Options
	rootIsBooted bool
	rootDev      uint64
	rootIno      uint64
	lockFD       int
	repo         *repo.Repo
	// stagedMerge is the merge deployment recorded with the staged one
	// (an a{sv} value; nil when none), resolved at finalization.
	stagedMerge any
}

// Open opens the sysroot at path without loading it. An Options value
// (at most one) replaces the host paths it consults; without one, they
// are the running system's.
func Open(path string, opts ...Options) (*Sysroot, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	s := &Sysroot{path: abs, host: o.WithDefaults(), lockFD: -1, BootVersion: -1, SubBootVersion: -1, Debug: debugFlagsFromEnv(), Opts: globalOptsFromEnv()}
	var st unix.Stat_t
	if err := unix.Stat(abs, &st); err != nil {
		return nil, fmt.Errorf("opening sysroot %s: %w", abs, err)
	}
	if err := s.detectBooted(&st); err != nil {
		return nil, err
	}
	return s, nil
}

// Path is the sysroot's absolute path.
func (s *Sysroot) Path() string { return s.path }

// Abs returns rel (a sysroot-relative path) made absolute.
func (s *Sysroot) Abs(rel string) string { return filepath.Join(s.path, rel) }

// Repo opens the system repository (ostree/repo) once.
func (s *Sysroot) Repo(ctx context.Context) (*repo.Repo, error) {
	if s.repo != nil {
		return s.repo, nil
	}
	r, err := repo.Open(ctx, s.Abs("ostree/repo"))
	if err != nil {
		return nil, err
	}
	s.repo = r
	return r, nil
}

// Lock takes the sysroot lock (flock on ostree/lock) that libostree's
// writers take; wait false fails at once when another writer holds it.
func (s *Sysroot) Lock(ctx context.Context, wait bool) (func(), error) {
	fd, err := unix.Open(s.Abs(lockFile), unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", lockFile, err)
	}
	how := unix.LOCK_EX
	if !wait {
		how |= unix.LOCK_NB
	}
	for {
		err = unix.Flock(fd, how)
		if err != unix.EINTR {
			break
		}
		if ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("sysroot %s is locked by another process: %w", s.path, err)
		}
		return nil, fmt.Errorf("locking %s: %w", lockFile, err)
	}
	return func() { unix.Close(fd) }, nil
}

// BumpMtime touches ostree/deploy, the signal other tools watch.
func (s *Sysroot) BumpMtime() error {
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, s.Abs("ostree/deploy"), nil, 0); err != nil {
		return fmt.Errorf("futimens: %w", err)
	}
	return nil
}

// Load reads the boot version, the BLS entries and the deployments they
// name, the booted deployment and the staged one.
func (s *Sysroot) Load(ctx context.Context) error {
	if _, err := os.Stat(s.Abs("ostree/deploy")); err != nil {
		return fmt.Errorf("loading sysroot: %w", err)
	}
	bv, err := s.readBootVersion()
	if err != nil {
		return fmt.Errorf("loading sysroot: %w", err)
	}
	sub, err := s.readSubBootVersion(bv)
	if err != nil {
		return fmt.Errorf("loading sysroot: %w", err)
	}
	configs, err := s.readBootConfigs(bv)
	if err != nil {
		return fmt.Errorf("loading sysroot: %w", err)
	}
	s.Booted, s.Staged = nil, nil
	var deps []*Deployment
	for _, c := range configs {
		d, err := s.deploymentFromConfig(c)
		if err != nil {
			s.Booted = nil
			return fmt.Errorf("loading sysroot: %w", err)
		}
		deps = append(deps, d)
	}
	if s.rootIsBooted && s.Booted == nil {
		s.Booted = s.bootedFromCmdline(deps)
	}
	if s.rootIsBooted && s.Booted == nil {
		if _, err := os.Lstat(s.Abs("boot/loader")); err != nil {
			return fmt.Errorf("loading sysroot: Unexpected state: %s found, but no /boot/loader directory", bootedFlagPath)
		}
		return fmt.Errorf("loading sysroot: Unexpected state: %s found and in / sysroot, but bootloader entry not found", bootedFlagPath)
	}
	if err := s.loadStaged(); err != nil {
		return fmt.Errorf("loading sysroot: Loading staged deployment: %w", err)
	}
	if s.Staged != nil {
		deps = append([]*Deployment{s.Staged}, deps...)
	}
	for i, d := range deps {
		d.Index = i
	}
	s.BootVersion, s.SubBootVersion, s.Deployments = bv, sub, deps
	return nil
}

func (s *Sysroot) readBootVersion() (int, error) {
	fi, err := os.Lstat(s.Abs("boot/loader"))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return 0, fmt.Errorf("Not a symbolic link: boot/loader")
	}
	t, err := os.Readlink(s.Abs("boot/loader"))
	if err != nil {
		return 0, err
	}
	switch t {
	case "loader.0":
		return 0, nil
	case "loader.1":
		return 1, nil
	}
	return 0, fmt.Errorf("Invalid target '%s' in boot/loader", t)
}

func (s *Sysroot) readSubBootVersion(bv int) (int, error) {
	name := fmt.Sprintf("ostree/boot.%d", bv)
	t, err := os.Readlink(s.Abs(name))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	switch {
	case strings.HasSuffix(t, ".0"):
		return 0, nil
	case strings.HasSuffix(t, ".1"):
		return 1, nil
	}
	return 0, fmt.Errorf("Invalid target '%s' in %s", t, name)
}

// readBootConfigs reads boot/loader.BV/entries/ostree-*.conf, sorted by
// version, highest first.
func (s *Sysroot) readBootConfigs(bv int) ([]*bootloader.Config, error) {
	dir := s.Abs(fmt.Sprintf("boot/loader.%d/entries", bv))
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*bootloader.Config
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "ostree-") || !strings.HasSuffix(name, ".conf") {
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		c, err := bootloader.LoadConfig(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("Parsing %s: %w", name, err)
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return compareConfigs(out[i], out[j]) < 0 })
	return out, nil
}

// compareConfigs orders entries by version, highest first; entries
// without a version go last.
func compareConfigs(a, b *bootloader.Config) int {
	av, aok := a.Get("version")
	bv, bok := b.Get("version")
	switch {
	case aok && bok:
		return -strverscmp(av, bv)
	case aok:
		return -1
	case bok:
		return 1
	}
	return 0
}

// ostreeKarg returns the value of the first ostree= argument.
func ostreeKarg(c *bootloader.Config) (string, bool) {
	opts, ok := c.Get("options")
	if !ok {
		return "", false
	}
	for _, o := range strings.Split(opts, " ") {
		if v, ok := strings.CutPrefix(o, "ostree="); ok {
			return v, true
		}
	}
	return "", false
}

func (s *Sysroot) deploymentFromConfig(c *bootloader.Config) (*Deployment, error) {
	arg, ok := ostreeKarg(c)
	if !ok {
		return nil, fmt.Errorf("No ostree= kernel argument found")
	}
	bl, err := parseBootlink(arg)
	if err != nil {
		return nil, err
	}
	prefix := fmt.Sprintf("Parsing deployment %s in stateroot '%s'", arg, bl.stateroot)
	rel := strings.TrimPrefix(arg, "/")
	target, err := os.Readlink(s.Abs(rel))
	if err != nil {
		return nil, fmt.Errorf("%s: readlinkat: %w", prefix, err)
	}
	csum, serial, err := parseDeployName(filepath.Base(target))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prefix, err)
	}
	var st unix.Stat_t
	if err := unix.Stat(s.Abs(rel), &st); err != nil {
		return nil, fmt.Errorf("%s: opendir(%s): %w", prefix, rel, err)
	}
	d := &Deployment{
		Index: -1, Stateroot: bl.stateroot, Csum: csum, Serial: serial,
		BootCsum: bl.bootcsum, BootSerial: bl.serial, BootConfig: c,
	}
	if err := s.loadOrigin(d); err != nil {
		return nil, fmt.Errorf("%s: %w", prefix, err)
	}
	s.loadUnlocked(d)
	for _, p := range c.OverlayInitrds {
		b := filepath.Base(p)
		if len(b) != 64+len(".img") {
			return nil, fmt.Errorf("Malformed overlay initrd filename: %s", b)
		}
		d.OverlayInitrds = append(d.OverlayInitrds, b[:64])
	}
	if s.rootIsBooted && s.Booted == nil && uint64(st.Dev) == s.rootDev && st.Ino == s.rootIno {
		s.Booted = d
	}
	return d, nil
}

func (s *Sysroot) loadOrigin(d *Deployment) error {
	b, err := os.ReadFile(s.Abs(d.OriginRelPath()))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	kf, err := keyfile.Parse(b)
	if err != nil {
		return fmt.Errorf("Parsing %s: %w", d.OriginRelPath(), err)
	}
	kf.StripComments()
	d.Origin = kf
	return nil
}

func (s *Sysroot) loadUnlocked(d *Deployment) {
	d.Unlocked = UnlockedNone
	if _, err := os.Lstat(s.runstatePath(d, flagDevelopment)); err == nil {
		d.Unlocked = UnlockedDevelopment
	} else if _, err := os.Lstat(s.runstatePath(d, flagTransient)); err == nil {
		d.Unlocked = UnlockedTransient
	} else if d.Origin != nil {
		if v, _ := d.Origin.String("origin", "unlocked"); v == UnlockedHotfix {
			d.Unlocked = UnlockedHotfix
		}
	}
}

// MergeDeployment is the deployment whose /etc and kernel arguments a new
// deployment of stateroot inherits: the booted one when it belongs to
// stateroot, else the first of stateroot in the list.
func (s *Sysroot) MergeDeployment(stateroot string) *Deployment {
	if stateroot == "" && s.Booted != nil {
		stateroot = s.Booted.Stateroot
	}
	if s.Booted != nil && s.Booted.Stateroot == stateroot {
		return s.Booted
	}
	pending, _ := s.Pending(stateroot)
	return pending
}

// Pending and Rollback are the deployments of stateroot before and after
// the booted one in the list (libostree's query_deployments_for).
func (s *Sysroot) Pending(stateroot string) (pending, rollback *Deployment) {
	if stateroot == "" {
		if s.Booted == nil {
			return nil, nil
		}
		stateroot = s.Booted.Stateroot
	}
	seenBooted := false
	for _, d := range s.Deployments {
		if d.Stateroot != stateroot {
			continue
		}
		if d.Equal(s.Booted) {
			seenBooted = true
			continue
		}
		if !seenBooted && pending == nil {
			pending = d
		} else if seenBooted && rollback == nil {
			rollback = d
		}
	}
	return pending, rollback
}
