package sysroot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/prune"
)

// CleanupOptions configure Cleanup.
type CleanupOptions struct {
	// Prune deletes system-repo objects that no ref or deployment
	// reaches.
	Prune bool
}

// Cleanup removes what the current boot configuration no longer uses:
// the other boot version's entries and links, deployment directories
// and kernels no entry names, unused overlay initrds; then it rewrites
// the deployment refs (ostree/BV/SUB/I) and optionally prunes the repo.
// Each step only deletes unreferenced data, so a crash at any point
// leaves a bootable sysroot that the next Cleanup finishes.
func (s *Sysroot) Cleanup(ctx context.Context, opts CleanupOptions) error {
	if s.BootVersion < 0 {
		return fmt.Errorf("sysroot not loaded")
	}
	if err := s.cleanupOtherBootversions(); err != nil {
		return fmt.Errorf("Cleaning bootversions: %w", err)
	}
	crashpoint("cleanup-after-bootversions")
	if err := s.cleanupOldDeployments(); err != nil {
		return fmt.Errorf("Cleaning deployments: %w", err)
	}
	if err := s.generateDeploymentRefs(ctx); err != nil {
		return fmt.Errorf("Generating deployment refs: %w", err)
	}
	crashpoint("cleanup-after-refs")
	if opts.Prune {
		freed, err := s.pruneRepo(ctx)
		if err != nil {
			return fmt.Errorf("Pruning system repository: %w", err)
		}
		if freed > 0 && s.OnPruned != nil {
			s.OnPruned(freed)
		}
	}
	return nil
}

func (s *Sysroot) cleanupOtherBootversions() error {
	obv, osub := 1-s.BootVersion, 1-s.SubBootVersion
	for _, p := range []string{
		fmt.Sprintf("boot/loader.%d", obv),
		fmt.Sprintf("ostree/boot.%d", obv),
		fmt.Sprintf("ostree/boot.%d.0", obv),
		fmt.Sprintf("ostree/boot.%d.1", obv),
		fmt.Sprintf("ostree/boot.%d.%d", s.BootVersion, osub),
	} {
		if err := os.RemoveAll(s.Abs(p)); err != nil {
			return err
		}
	}
	return nil
}

// removeDeployment deletes a deployment directory and its origin, never
// the running root.
func (s *Sysroot) removeDeployment(d *Deployment) error {
	root := s.Abs(d.RelPath())
	var st unix.Stat_t
	if err := unix.Stat(root, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return err
	}
	if uint64(st.Dev) == s.rootDev && st.Ino == s.rootIno {
		return nil
	}
	if err := setImmutable(root, false); err != nil {
		return err
	}
	if err := os.RemoveAll(s.Abs(d.OriginRelPath())); err != nil {
		return err
	}
	crashpoint("cleanup-deployment-origin-removed")
	return os.RemoveAll(root)
}

func (s *Sysroot) cleanupOldDeployments() error {
	active := map[string]bool{}
	bootcsums := map[string]bool{}
	initrds := map[string]bool{}
	for _, d := range s.Deployments {
		active[d.RelPath()] = true
		bootcsums[d.BootCsum] = true
		if d.BootConfig != nil {
			for _, p := range d.BootConfig.OverlayInitrds {
				initrds[filepath.Base(p)] = true
			}
		}
	}
	roots, err := readDirUnsorted(s.Abs("ostree/deploy"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range roots {
		if !e.IsDir() {
			continue
		}
		dirs, err := s.listDeploymentDirs(e.Name())
		if err != nil {
			return err
		}
		for _, d := range dirs {
			if !active[d.RelPath()] {
				if err := s.removeDeployment(d); err != nil {
					return err
				}
			}
		}
	}
	bootdirs, err := readDirUnsorted(s.Abs("boot/ostree"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range bootdirs {
		if !e.IsDir() {
			continue
		}
		i := strings.LastIndexByte(e.Name(), '-')
		if i < 0 {
			continue
		}
		csum := e.Name()[i+1:]
		if _, err := object.ParseChecksum(csum); err != nil {
			continue
		}
		if !bootcsums[csum] {
			crashpoint("cleanup-before-bootdir")
			if err := os.RemoveAll(s.Abs("boot/ostree/" + e.Name())); err != nil {
				return err
			}
		}
	}
	overlays, err := readDirUnsorted(s.Abs(initramfsOverlays))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("open(initrd_overlays): %w", err)
	}
	for _, e := range overlays {
		if e.Type().IsRegular() && !initrds[e.Name()] {
			if err := os.Remove(s.Abs(initramfsOverlays + "/" + e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// initramfsOverlays holds overlay initrds by checksum.
const initramfsOverlays = "boot/ostree/initramfs-overlays"

// generateDeploymentRefs keeps each deployment's commit from being
// pruned with a ref ostree/BV/SUB/INDEX, dropping those of other
// versions.
func (s *Sysroot) generateDeploymentRefs(ctx context.Context) error {
	r, err := s.Repo(ctx)
	if err != nil {
		return err
	}
	refs, err := r.ListRefs(ctx, false)
	if err != nil {
		return err
	}
	keep := fmt.Sprintf("ostree/%d/%d/", s.BootVersion, s.SubBootVersion)
	txn, err := r.Begin(ctx)
	if err != nil {
		return err
	}
	for _, e := range refs {
		if e.Remote == "" && e.CollectionID == "" && isDeploymentRef(e.Name) && !strings.HasPrefix(e.Name, keep) {
			txn.SetRef("", e.Name, nil)
		}
	}
	for i, d := range s.Deployments {
		c, err := object.ParseChecksum(d.Csum)
		if err != nil {
			txn.Abort()
			return err
		}
		txn.SetRef("", fmt.Sprintf("ostree/%d/%d/%d", s.BootVersion, s.SubBootVersion, i), &c)
	}
	return txn.Commit(ctx)
}

// isDeploymentRef matches ostree/[01]/[01]/N.
func isDeploymentRef(name string) bool {
	p := strings.Split(name, "/")
	return len(p) == 4 && p[0] == "ostree" && (p[1] == "0" || p[1] == "1") && (p[2] == "0" || p[2] == "1")
}

// pruneRepo deletes objects that no ref (deployment refs included)
// reaches, keeping no history.
func (s *Sysroot) pruneRepo(ctx context.Context) (int64, error) {
	r, err := s.Repo(ctx)
	if err != nil {
		return 0, err
	}
	res, err := prune.Prune(ctx, r, prune.Options{RefsOnly: true, Depth: 0})
	if err != nil {
		return 0, err
	}
	return res.Freed, nil
}
