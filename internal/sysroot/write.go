package sysroot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/bootloader"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/object"
)

// WriteOptions configure WriteDeployments.
type WriteOptions struct {
	// PostClean runs Cleanup after the switch.
	PostClean bool
}

// message reports progress the way libostree's journal messages reach
// the CLI.
func (s *Sysroot) message(format string, args ...any) {
	if s.OnMessage != nil {
		s.OnMessage(fmt.Sprintf(format, args...))
	}
}

// WriteDeployments makes deps (deployed already, default first) the boot
// configuration. When only the deployments behind unchanged boot entries
// differ, it swaps the ostree/boot.N symlink farm; otherwise it writes a
// new boot version (BLS entries, kernels, bootloader config) and switches
// to it with the rename of boot/loader, the one atomic commit point.
func (s *Sysroot) WriteDeployments(ctx context.Context, deps []*Deployment, opts WriteOptions) (err error) {
	if s.BootVersion < 0 {
		return fmt.Errorf("sysroot not loaded")
	}
	// A staged deployment survives only as the first element.
	removedStaged := s.Staged != nil
	var list []*Deployment
	for i, d := range deps {
		if d.Staged {
			if i == 0 && d.Equal(s.Staged) {
				removedStaged = false
			}
			continue
		}
		list = append(list, d)
	}
	if removedStaged {
		if err := s.dropStaged(); err != nil {
			return err
		}
	}
	current := s.nonStaged()
	var prevDefault *Deployment
	if len(current) > 0 {
		prevDefault = current[0]
	}
	// A deployment new to the list going first arms the boot counter.
	newFirst := len(list) > 0 && !slices.ContainsFunc(current, list[0].Equal)
	bootDirs := s.bootDirNames()
	defer func() {
		if err != nil {
			s.undoWrite(list, current, bootDirs)
		}
	}()
	assignBootSerials(list)

	needBootswap := len(list) != len(current)
	if !needBootswap {
		noop := true
		for i, d := range list {
			eq, err := s.bootconfigsEqual(ctx, current[i], d)
			if err != nil {
				return err
			}
			if !eq {
				needBootswap, noop = true, false
				break
			}
			if !current[i].Equal(d) || current[i].BootSerial != d.BootSerial {
				noop = false
			}
		}
		if noop {
			if removedStaged {
				return s.writeFinish(ctx)
			}
			return nil
		}
	}

	foundBooted := false
	for i, d := range list {
		if d.Equal(s.Booted) {
			foundBooted = true
		}
		root := s.Abs(d.RelPath())
		if _, err := os.Stat(root); err != nil {
			return fmt.Errorf("Unable to find expected deployment root: %s", root)
		}
		d.Index = i
	}
	if s.Booted != nil && !foundBooted {
		return fmt.Errorf("Attempting to remove booted deployment")
	}

	var (
		subbootdir string
		atomic     bool
	)
	if !needBootswap {
		if err := s.createBootlinks(s.BootVersion, list); err != nil {
			return err
		}
		crashpoint("bootlinks-before-sync")
		if err := s.fullSync(); err != nil {
			return err
		}
		if subbootdir, err = s.swapBootlinks(s.BootVersion); err != nil {
			return err
		}
		crashpoint("bootlinks-after-swap")
		atomic = true
	} else {
		be, err := s.queryBootloader(ctx)
		if err != nil {
			return err
		}
		atomic = be != nil && be.IsAtomic()
		if subbootdir, err = s.bootswap(ctx, list, be); err != nil {
			return err
		}
	}
	status := "Bootloader updated"
	if atomic {
		status = "Transaction complete"
	}
	swap := "no"
	if needBootswap {
		swap = "yes"
	}
	s.message("%s; bootconfig swap: %s; bootversion: %s, deployment count change: %d",
		status, swap, subbootdir, len(list)-len(s.Deployments))
	if err := s.writeFinish(ctx); err != nil {
		return err
	}
	crashpoint("write-after-finish")
	// list is empty after undeploying the last deployment.
	if err := s.updateBootCount(prevDefault, list, newFirst); err != nil {
		return fmt.Errorf("boot configuration written, but updating the boot counter: %w", err)
	}
	if opts.PostClean {
		if err := s.Cleanup(ctx, CleanupOptions{Prune: true}); err != nil {
			return fmt.Errorf("Performing final cleanup: %w", err)
		}
	}
	return nil
}

func (s *Sysroot) nonStaged() []*Deployment {
	var out []*Deployment
	for _, d := range s.Deployments {
		if !d.Staged {
			out = append(out, d)
		}
	}
	return out
}

// dropStaged deletes the staged deployment's state and directory.
func (s *Sysroot) dropStaged() error {
	if err := os.Remove(s.stagedPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := removeDeploymentDir(s.Abs(s.Staged.RelPath())); err != nil {
		return err
	}
	if err := os.Remove(s.Abs(s.Staged.OriginRelPath())); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Remove(s.stagedLockedPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	s.Staged = nil
	if len(s.Deployments) > 0 && s.Deployments[0].Staged {
		s.Deployments = s.Deployments[1:]
	}
	return nil
}

// assignBootSerials numbers deployments sharing a boot checksum.
func assignBootSerials(deps []*Deployment) {
	n := map[string]int{}
	for _, d := range deps {
		d.BootSerial = n[d.BootCsum]
		n[d.BootCsum]++
	}
}

// nonOstreeKargs is the options line without the ostree= argument.
func nonOstreeKargs(d *Deployment) string {
	opts := ""
	if d.BootConfig != nil {
		opts = d.BootConfig.Value("options")
	}
	k := bootloader.ParseKernelArgs(opts)
	k.Replace("ostree")
	return k.String()
}

// commitVersion is the commit's "version" metadata, or "".
func (s *Sysroot) commitVersion(ctx context.Context, csum string) string {
	r, err := s.Repo(ctx)
	if err != nil {
		return ""
	}
	c, err := object.ParseChecksum(csum)
	if err != nil {
		return ""
	}
	cm, err := r.LoadCommit(ctx, c)
	if err != nil {
		return ""
	}
	v, _ := cm.Metadata.String("version")
	return v
}

// bootconfigsEqual reports whether b can reuse a's boot entry: the same
// kernel, overlay initrds, kernel arguments and version.
func (s *Sysroot) bootconfigsEqual(ctx context.Context, a, b *Deployment) (bool, error) {
	// The stateroot is part of the ostree= path of an entry: two
	// deployments of one kernel in different stateroots differ (2025.2;
	// 2022.7 compared them equal and left entries pointing nowhere).
	if a.Stateroot != b.Stateroot || a.BootCsum != b.BootCsum || strings.Join(a.OverlayInitrds, ",") != strings.Join(b.OverlayInitrds, ",") {
		return false, nil
	}
	if nonOstreeKargs(a) != nonOstreeKargs(b) {
		return false, nil
	}
	return s.commitVersion(ctx, a.Csum) == s.commitVersion(ctx, b.Csum), nil
}

// symlinkReplace points newpath at target atomically.
func symlinkReplace(target, newpath string) error {
	tmp := newpath + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("symlinkat: %w", err)
	}
	if err := os.Rename(tmp, newpath); err != nil {
		return fmt.Errorf("renameat: %w", err)
	}
	return nil
}

func (s *Sysroot) subBootVersionOf(bv int) (int, error) {
	if bv == s.BootVersion {
		return s.SubBootVersion, nil
	}
	return s.readSubBootVersion(bv)
}

// createBootlinks builds ostree/boot.BV.NEWSUB/STATEROOT/BOOTCSUM/SERIAL
// links to the deployments.
func (s *Sysroot) createBootlinks(bv int, deps []*Deployment) error {
	old, err := s.subBootVersionOf(bv)
	if err != nil {
		return fmt.Errorf("Creating new current bootlinks: %w", err)
	}
	dir := s.Abs(fmt.Sprintf("ostree/boot.%d.%d", bv, 1-old))
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("Creating new current bootlinks: %w", err)
	}
	for _, d := range deps {
		parent := filepath.Join(dir, d.Stateroot, d.BootCsum)
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return fmt.Errorf("Creating new current bootlinks: %w", err)
		}
		target := fmt.Sprintf("../../../deploy/%s/deploy/%s", d.Stateroot, d.Name())
		if err := symlinkReplace(target, filepath.Join(parent, fmt.Sprint(d.BootSerial))); err != nil {
			return fmt.Errorf("Creating new current bootlinks: %w", err)
		}
	}
	return nil
}

// swapBootlinks points ostree/boot.BV at the farm createBootlinks made.
func (s *Sysroot) swapBootlinks(bv int) (string, error) {
	old, err := s.subBootVersionOf(bv)
	if err != nil {
		return "", fmt.Errorf("Swapping new version bootlinks: %w", err)
	}
	sub := fmt.Sprintf("boot.%d.%d", bv, 1-old)
	if err := symlinkReplace(sub, s.Abs(fmt.Sprintf("ostree/boot.%d", bv))); err != nil {
		return "", fmt.Errorf("Swapping new version bootlinks: %w", err)
	}
	return sub, nil
}

// queryBootloader picks the backend from sysroot.bootloader in the
// system repo config.
func (s *Sysroot) queryBootloader(ctx context.Context) (bootloader.Backend, error) {
	r, err := s.Repo(ctx)
	if err != nil {
		return nil, err
	}
	conf, ok := r.Config().String("sysroot", "bootloader")
	if !ok {
		conf = "auto"
	}
	return bootloader.Query(s.path, conf)
}

// bootswap writes boot version 1-BootVersion and switches to it.
func (s *Sysroot) bootswap(ctx context.Context, deps []*Deployment, be bootloader.Backend) (string, error) {
	nbv := 1 - s.BootVersion
	entries := s.Abs(fmt.Sprintf("boot/loader.%d/entries", nbv))
	if err := os.RemoveAll(entries); err != nil {
		return "", err
	}
	if err := os.MkdirAll(entries, 0o755); err != nil {
		return "", err
	}
	showStateroot := false
	for _, d := range deps {
		if d.Stateroot != deps[0].Stateroot {
			showStateroot = true
		}
	}
	var configs []*bootloader.Config
	for _, d := range deps {
		if err := s.installKernel(ctx, nbv, d, len(deps), showStateroot); err != nil {
			return "", fmt.Errorf("Installing kernel: %w", err)
		}
		crashpoint("bootswap-after-kernel")
		configs = append(configs, d.BootConfig)
	}
	if err := s.createBootlinks(nbv, deps); err != nil {
		return "", err
	}
	crashpoint("bootswap-after-bootlinks")
	sub, err := s.swapBootlinks(nbv)
	if err != nil {
		return "", err
	}
	crashpoint("bootswap-after-swap-bootlinks")
	if be != nil {
		if err := be.WriteConfig(ctx, s.path, nbv, configs); err != nil {
			return "", fmt.Errorf("Bootloader write config: %w", err)
		}
	}
	// boot/boot -> . lets /boot/... paths work whether or not /boot is
	// its own filesystem; boot/loader.tmp is renamed over boot/loader
	// once everything is on disk.
	if err := os.Symlink(".", s.Abs("boot/boot")); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("Preparing final bootloader swap: symlinkat: %w", err)
	}
	if err := symlinkReplace(fmt.Sprintf("loader.%d", nbv), s.Abs("boot/loader.tmp")); err != nil {
		return "", fmt.Errorf("Preparing final bootloader swap: %w", err)
	}
	if err := s.fullSync(); err != nil {
		return "", err
	}
	crashpoint("bootswap-before-rename")
	if err := os.Rename(s.Abs("boot/loader.tmp"), s.Abs("boot/loader")); err != nil {
		return "", fmt.Errorf("Final bootloader swap: %w", err)
	}
	crashpoint("bootswap-after-rename")
	if err := fsx.SyncDir(s.Abs("boot")); err != nil {
		return "", fmt.Errorf("Final bootloader swap: fsync(boot): %w", err)
	}
	if be != nil {
		if err := be.PostBLSSync(ctx, s.path, nbv); err != nil {
			return "", fmt.Errorf("Final bootloader swap: %w", err)
		}
	}
	return sub, nil
}

// fullSync flushes the sysroot and /boot filesystems before the switch.
// libostree also freezes and thaws /boot; syncfs is what it falls back
// to where freezing is not possible, and all we do.
func (s *Sysroot) fullSync() error {
	if s.Debug.TestFifreeze {
		fmt.Fprintln(os.Stderr, "fifreeze watchdog was run")
		return fmt.Errorf("Full sync: During fsfreeze-thaw: aborting due to test-fifreeze")
	}
	for _, p := range []string{s.path, s.Abs("boot")} {
		if err := fsx.Syncfs(p); err != nil {
			return fmt.Errorf("Full sync: syncfs(%s): %w", p, err)
		}
	}
	return nil
}

// writeFinish signals the change, reloads, and removes the legacy
// "current" links.
func (s *Sysroot) writeFinish(ctx context.Context) error {
	if err := s.BumpMtime(); err != nil {
		return err
	}
	if err := s.Load(ctx); err != nil {
		return fmt.Errorf("Reloading deployments after commit: %w", err)
	}
	for _, d := range s.Deployments {
		p := s.Abs("ostree/deploy/" + d.Stateroot + "/current")
		if err := unix.Unlink(p); err != nil && !errors.Is(err, unix.ENOENT) {
			return err
		}
	}
	return nil
}
