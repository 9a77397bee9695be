package sysroot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/bootloader"
	"github.com/gostree/gostree/internal/checkout"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/object"
)

// DeployOptions configure DeployTree.
type DeployOptions struct {
	// Stateroot receives the deployment; "" means the booted one's.
	Stateroot string
	Commit    object.Checksum
	// Origin is written as the .origin file (nil for none).
	Origin *keyfile.File
	// Merge is the deployment whose /etc changes and kernel arguments
	// carry over; nil starts from the defaults.
	Merge *Deployment
	// Kargs, when not nil, are the kernel arguments instead of the merge
	// deployment's.
	Kargs          []string
	OverlayInitrds []string
}

// DeployResult reports what DeployTree did besides the deployment.
type DeployResult struct {
	Deployment *Deployment
	// Etc is the /etc merge applied (nil without a merge deployment).
	Etc *EtcChanges
	// VarNotes are the top-level names under the commit's /var, which
	// the stateroot's shared var hides; empty when they seeded it.
	VarNotes []string
}

// DeployTree checks out commit as a new deployment directory with its
// /etc prepared and merged, and its origin written. The deployment is
// not yet in the boot configuration: WriteDeployments publishes it. A
// crash before that leaves only an unreferenced directory that Cleanup
// removes.
func (s *Sysroot) DeployTree(ctx context.Context, opts DeployOptions) (*DeployResult, error) {
	res, err := s.initDeployment(ctx, opts)
	if err != nil {
		return nil, err
	}
	if res.Etc, err = s.finalizeDeployment(ctx, res.Deployment, opts.Merge); err != nil {
		s.discardDeployment(res.Deployment)
		return nil, err
	}
	return res, nil
}

// discardDeployment deletes a deployment that never made it into the
// boot configuration, with its origin; errors are ignored (Cleanup
// removes what is left).
func (s *Sysroot) discardDeployment(d *Deployment) {
	_ = removeDeploymentDir(s.Abs(d.RelPath()))
	_ = os.Remove(s.Abs(d.OriginRelPath()))
}

// initDeployment is the first half of a deploy, which staging does at
// once: the checkout with its kernel found and /etc prepared.
func (s *Sysroot) initDeployment(ctx context.Context, opts DeployOptions) (*DeployResult, error) {
	stateroot := opts.Stateroot
	if stateroot == "" {
		if s.Booted == nil {
			return nil, fmt.Errorf("no stateroot given and not booted into a deployment")
		}
		stateroot = s.Booted.Stateroot
	}
	if err := validStateroot(stateroot); err != nil {
		return nil, err
	}
	if _, err := os.Stat(s.Abs("ostree/deploy/" + stateroot)); err != nil {
		// libostree 2025.2's words (2022.7 only failed later).
		return nil, fmt.Errorf("No such stateroot: %s: %w", stateroot, err)
	}
	r, err := s.Repo(ctx)
	if err != nil {
		return nil, err
	}
	csum := opts.Commit.String()
	serial, err := s.allocateDeploySerial(stateroot, csum)
	if err != nil {
		return nil, err
	}
	d := &Deployment{Stateroot: stateroot, Csum: csum, Serial: serial, BootSerial: -1, Origin: opts.Origin, Unlocked: UnlockedNone}
	root := s.Abs(d.RelPath())

	// Check out the tree; anything left there by an interrupted deploy
	// goes first.
	deployDir := filepath.Dir(root)
	if err := os.MkdirAll(deployDir, 0o775); err != nil {
		return nil, fmt.Errorf("Checking out deployment tree: %w", err)
	}
	if err := removeDeploymentDir(root); err != nil {
		return nil, fmt.Errorf("Checking out deployment tree: %w", err)
	}
	// A failed deploy leaves nothing behind.
	done := false
	defer func() {
		if !done {
			_ = removeDeploymentDir(root)
		}
	}()
	crashpoint("deploy-before-checkout")
	// The composefs image needs only the repository: it is built while
	// the tree is checked out, which mostly waits on the kernel.
	// Under 2022.7 compatibility (a release without composefs) there is
	// no image.
	var cfs *pendingComposefs
	if !s.Opts.Compat2022 {
		cfs = startComposefs(ctx, r, opts.Commit, d)
	}
	err = checkout.Checkout(ctx, r, opts.Commit, root, checkout.Options{PassthroughWhiteouts: true})
	if cfs != nil {
		if cerr := cfs.finish(ctx, root); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return nil, fmt.Errorf("Checking out deployment tree: %w", err)
	}

	crashpoint("deploy-after-checkout")
	kl, err := FindKernel(root, s.Debug.NoDTB)
	if err != nil {
		return nil, err
	}
	d.BootCsum = kl.BootCsum
	d.BootConfig = bootloader.NewConfig()
	if opts.Kargs != nil {
		k := &bootloader.KernelArgs{}
		for _, a := range opts.Kargs {
			k.Append(a)
		}
		d.BootConfig.Set("options", k.String())
	}
	d.OverlayInitrds = append([]string(nil), opts.OverlayInitrds...)

	if err := s.prepareEtc(ctx, d, root); err != nil {
		return nil, err
	}
	res := &DeployResult{Deployment: d}
	seeded, err := populateVar(root, s.Abs("ostree/deploy/"+stateroot+"/var"))
	if err != nil {
		return nil, err
	}
	if ents, err := readDirUnsorted(filepath.Join(root, "var")); err == nil && !seeded {
		for _, e := range ents {
			res.VarNotes = append(res.VarNotes, e.Name())
		}
	}
	done = true
	return res, nil
}

// finalizeDeployment is the second half of a deploy, which staging
// defers to shutdown: kernel arguments and /etc from the merge
// deployment, the origin, and the immutable flag.
func (s *Sysroot) finalizeDeployment(ctx context.Context, d *Deployment, merge *Deployment) (*EtcChanges, error) {
	root := s.Abs(d.RelPath())
	stateroot := d.Stateroot
	var etc *EtcChanges
	if m := merge; m != nil {
		if _, ok := d.BootConfig.Get("options"); !ok && m.BootConfig != nil {
			if v, ok := m.BootConfig.Get("options"); ok {
				d.BootConfig.Set("options", v)
			}
		}
		var err error
		if etc, err = s.mergeEtc(ctx, m, root); err != nil {
			return nil, err
		}
		s.message("Copying /etc changes: %d modified, %d removed, %d added",
			len(etc.Modified), len(etc.Removed), len(etc.Added))
	}
	crashpoint("deploy-after-etc")
	if err := os.Remove(filepath.Join(root, "etc/.updated")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	// The booted stateroot's var is the one mounted on /var.
	varDir := s.Abs("ostree/deploy/" + stateroot + "/var")
	if s.Booted != nil && s.Booted.Stateroot == stateroot {
		varDir = s.hostPath("/var")
	}
	if err := os.Remove(filepath.Join(varDir, ".updated")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	// libostree labels the shared var once and leaves a stamp; without
	// an SELinux policy there is nothing to label, but the stamp and
	// the message are the same.
	stamp := s.Abs("ostree/deploy/" + stateroot + "/var/.ostree-selabeled")
	if _, err := os.Lstat(stamp); errors.Is(err, fs.ErrNotExist) {
		s.message("Relabeling /var (no stamp file '%s' found)", "var/.ostree-selabeled")
		if err := fsx.WriteFileAtomic(stamp, nil, 0o644, true); err != nil {
			return nil, fmt.Errorf("Relabeling /var: %w", err)
		}
	}
	if err := s.writeOrigin(d, d.Origin, false); err != nil {
		return nil, err
	}
	crashpoint("deploy-after-origin")
	if !s.Debug.MutableDeployments {
		if err := setImmutable(root, true); err != nil {
			return nil, err
		}
	}
	return etc, nil
}

// allocateDeploySerial is one more than the highest serial of commit
// csum in the stateroot, or 0.
func (s *Sysroot) allocateDeploySerial(stateroot, csum string) (int, error) {
	dirs, err := s.listDeploymentDirs(stateroot)
	if err != nil {
		return 0, err
	}
	serial := 0
	for _, d := range dirs {
		if d.Csum == csum && d.Serial+1 > serial {
			serial = d.Serial + 1
		}
	}
	return serial, nil
}

// listDeploymentDirs lists the deployment directories of a stateroot.
func (s *Sysroot) listDeploymentDirs(stateroot string) ([]*Deployment, error) {
	ents, err := readDirUnsorted(s.Abs("ostree/deploy/" + stateroot + "/deploy"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Deployment
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		csum, serial, err := parseDeployName(e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, &Deployment{Index: -1, Stateroot: stateroot, Csum: csum, Serial: serial, BootSerial: -1})
	}
	return out, nil
}

// prepareEtc makes etc a copy of usr/etc (moving a legacy etc to usr/etc
// first).
func (s *Sysroot) prepareEtc(ctx context.Context, d *Deployment, root string) error {
	_, err := os.Lstat(filepath.Join(root, "etc"))
	etcExists := err == nil
	_, err = os.Lstat(filepath.Join(root, "usr/etc"))
	usrEtcExists := err == nil
	if etcExists && usrEtcExists {
		// An empty /etc beside usr/etc is tolerated and dropped, as
		// libostree 2025.2 does (2022.7 refused it).
		if err := unix.Rmdir(filepath.Join(root, "etc")); err != nil {
			return fmt.Errorf("Preparing /etc: Tree contains both /etc and /usr/etc")
		}
		etcExists = false
	}
	if etcExists {
		if err := os.Rename(filepath.Join(root, "etc"), filepath.Join(root, "usr/etc")); err != nil {
			return fmt.Errorf("Preparing /etc: %w", err)
		}
		usrEtcExists = true
	}
	if !usrEtcExists {
		return nil
	}
	r, err := s.Repo(ctx)
	if err != nil {
		return err
	}
	c, err := object.ParseChecksum(d.Csum)
	if err != nil {
		return err
	}
	if err := checkout.Checkout(ctx, r, c, filepath.Join(root, "etc"), checkout.Options{ForceCopy: true, Subpath: "/usr/etc"}); err != nil {
		return fmt.Errorf("Preparing /etc: %w", err)
	}
	return nil
}

// writeOrigin writes the .origin file of d (nothing when origin is nil).
func (s *Sysroot) writeOrigin(d *Deployment, origin *keyfile.File, sync bool) error {
	if origin == nil {
		return nil
	}
	if err := fsx.WriteFileAtomic(s.Abs(d.OriginRelPath()), origin.Bytes(), 0o644, sync); err != nil {
		return fmt.Errorf("Writing out origin file: %w", err)
	}
	return nil
}

// WriteOrigin replaces the origin of d durably and signals the change.
func (s *Sysroot) WriteOrigin(d *Deployment, origin *keyfile.File) error {
	if origin == nil {
		origin = d.Origin
	}
	if err := s.writeOrigin(d, origin, true); err != nil {
		return err
	}
	return s.BumpMtime()
}

// removeDeploymentDir removes a deployment directory, clearing the
// immutable flag first.
func removeDeploymentDir(root string) error {
	if _, err := os.Lstat(root); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := setImmutable(root, false); err != nil {
		return err
	}
	return os.RemoveAll(root)
}

// setImmutable sets or clears FS_IMMUTABLE_FL on a directory; filesystems
// without the flag and unprivileged callers are silently skipped, as in
// libostree.
func setImmutable(path string, on bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOTTY) {
			return nil
		}
		return fmt.Errorf("ioctl(EXT2_IOC_GETFLAGS) %s: %w", path, err)
	}
	if (flags&fsImmutableFL != 0) == on {
		return nil
	}
	if on {
		flags |= fsImmutableFL
	} else {
		flags &^= fsImmutableFL
	}
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags)); err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOTTY) {
			return nil
		}
		return fmt.Errorf("ioctl(EXT2_IOC_SETFLAGS) %s: %w", path, err)
	}
	return nil
}

// fsImmutableFL is FS_IMMUTABLE_FL from linux/fs.h.
const fsImmutableFL = 0x00000010
