package sysroot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/bootloader"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/object"
)

// Unlock makes deployment d writable through an overlayfs on /usr
// (`admin unlock`). In the hotfix state the overlay lives in the
// deployment (.usr-ovl-upper, .usr-ovl-work), the origin records it so
// that it is mounted again at every boot, and an unmodified clone of d
// is deployed as the rollback target first. In the development and
// transient states the overlay lives in /var/tmp and a flag in
// RunDir/deployment-state/CSUM.SERIAL says so until reboot; transient
// mounts it read-only. The overlay is mounted only when d is the
// deployment the real host runs; a simulated host (Options.Root) gets
// every other change.
func (s *Sysroot) Unlock(ctx context.Context, d *Deployment, state string) error {
	switch state {
	case UnlockedHotfix, UnlockedDevelopment, UnlockedTransient:
	default:
		return fmt.Errorf("invalid unlock state %q", state)
	}
	if d.Unlocked != "" && d.Unlocked != UnlockedNone {
		return fmt.Errorf("Deployment is already in unlocked state: %s", d.Unlocked)
	}
	merge := s.MergeDeployment(d.Stateroot)
	if merge == nil {
		return errors.New("No previous deployment to duplicate")
	}
	if state == UnlockedHotfix {
		if err := s.cloneDeployment(ctx, d, merge); err != nil {
			return err
		}
	}
	root := s.Abs(d.RelPath())
	if err := setImmutable(root, false); err != nil {
		return err
	}
	// The overlay gets the permission bits of the /usr it shadows.
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(root, "usr"), &st); err != nil {
		return fmt.Errorf("fstatat(usr): %w", err)
	}
	usrMode := st.Mode & 0o7777
	var upper, work, ovlDir string
	if state == UnlockedHotfix {
		upper, work = filepath.Join(root, ".usr-ovl-upper"), filepath.Join(root, ".usr-ovl-work")
	} else {
		var err error
		if ovlDir, err = os.MkdirTemp(s.hostPath("/var/tmp"), "ostree-unlock-ovl."); err != nil {
			return fmt.Errorf("mkdtemp: %w", err)
		}
		if err := os.Chmod(ovlDir, 0o755); err != nil {
			return err
		}
		upper, work = filepath.Join(ovlDir, "upper"), filepath.Join(ovlDir, "work")
	}
	for _, dir := range []string{upper, work} {
		if err := mkdirUnmasked(dir, usrMode); err != nil {
			return err
		}
	}
	if d.Equal(s.Booted) && s.realHost() {
		if err := mountUsrOverlay(filepath.Join(root, "usr"), upper, work, s.hostPath("/usr"), state == UnlockedTransient); err != nil {
			return err
		}
	}

	switch state {
	case UnlockedHotfix:
		origin := keyfile.New()
		if d.Origin != nil {
			var err error
			if origin, err = keyfile.Parse(d.Origin.Bytes()); err != nil {
				return err
			}
		}
		origin.SetString("origin", "unlocked", UnlockedHotfix)
		if err := s.writeOrigin(d, origin, true); err != nil {
			return err
		}
		d.Origin = origin
	default:
		flag := flagDevelopment
		if state == UnlockedTransient {
			flag = flagTransient
		}
		p := s.runstatePath(d, flag)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := fsx.WriteFileAtomic(p, []byte(ovlDir), 0o644, false); err != nil {
			return err
		}
	}
	d.Unlocked = state
	// Watchers learn about the new state of d (the hotfix clone already
	// bumped it for the list change).
	return s.BumpMtime()
}

// cloneDeployment deploys target's commit again, with merge's /etc and
// kernel arguments, as the entry right after the booted (or merge)
// one: the clean rollback target of a hotfix.
func (s *Sysroot) cloneDeployment(ctx context.Context, target, merge *Deployment) error {
	if err := s.Cleanup(ctx, CleanupOptions{}); err != nil {
		return fmt.Errorf("Performing initial cleanup: %w", err)
	}
	opts := ""
	if merge.BootConfig != nil {
		opts = merge.BootConfig.Value("options")
	}
	kargs := bootloader.ParseKernelArgs(opts).Strings()
	if kargs == nil {
		kargs = []string{}
	}
	c, err := object.ParseChecksum(target.Csum)
	if err != nil {
		return err
	}
	res, err := s.DeployTree(ctx, DeployOptions{Stateroot: target.Stateroot, Commit: c, Origin: target.Origin, Merge: merge, Kargs: kargs})
	if err != nil {
		return err
	}
	return s.SimpleWriteDeployment(ctx, target.Stateroot, res.Deployment, merge, SimpleWriteFlags{NotDefault: true})
}

// mkdirUnmasked creates dir with exactly mode, whatever the umask.
func mkdirUnmasked(dir string, mode uint32) error {
	if err := unix.Mkdir(dir, mode); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("mkdir(%s): %w", dir, err)
	}
	if err := unix.Chmod(dir, mode); err != nil {
		return fmt.Errorf("chmod(%s): %w", dir, err)
	}
	return nil
}

// mountUsrOverlay mounts the writable overlay over target (the host's
// /usr). libostree passes paths relative to the deployment from a forked
// child; absolute paths need neither.
func mountUsrOverlay(lower, upper, work, target string, readOnly bool) error {
	var flags uintptr
	if readOnly {
		flags |= unix.MS_RDONLY
	}
	data := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work)
	if err := unix.Mount("overlay", target, "overlay", flags, data); err != nil {
		return fmt.Errorf("Failed overlayfs mount: mount: %w", err)
	}
	return nil
}
