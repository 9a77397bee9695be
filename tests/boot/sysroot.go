package boot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Gostree runs a gostree binary on the host.
type Gostree string

// Run runs gostree with args and returns its stdout.
func (g Gostree) Run(ctx context.Context, args ...string) (string, error) {
	return run(ctx, "", string(g), args...)
}

// Commit commits tree to branch of repo (creating an archive repo when
// missing) with version as the commit's version, and returns the checksum.
// extra are more commit options (e.g. --generate-composefs-metadata).
func (g Gostree) Commit(ctx context.Context, repo, branch, tree, version string, extra ...string) (string, error) {
	if _, err := os.Stat(filepath.Join(repo, "config")); err != nil {
		if _, err := g.Run(ctx, "init", "--repo="+repo, "--mode=archive"); err != nil {
			return "", err
		}
	}
	args := []string{"commit", "--repo=" + repo, "--branch=" + branch, "--subject=" + version,
		"--add-metadata-string=version=" + version, "--bootable", "--tree=dir=" + tree}
	out, err := g.Run(ctx, append(args, extra...)...)
	return strings.TrimSpace(out), err
}

// SysrootOptions describe the first deployment of a sysroot. The
// deployment's origin is Remote:Ref, where Remote points at the updates disk
// as the guest mounts it.
type SysrootOptions struct {
	Stateroot string   // "os" when empty
	Ref       string   // "os/x86_64" when empty
	Remote    string   // "updates" when empty
	RemoteURL string   // "file:///run/updates/repo" when empty
	Kargs     []string // kernel arguments of the deployment
	// RepoConfig are `config set` pairs for the system repo (e.g.
	// ex-integrity.fsverity=yes), set before the pull.
	RepoConfig [][2]string
	// NoDeploy stops before the pull and the deployment: a guest does them.
	NoDeploy bool
}

func (o *SysrootOptions) defaults() {
	if o.Stateroot == "" {
		o.Stateroot = "os"
	}
	if o.Ref == "" {
		o.Ref = "os/x86_64"
	}
	if o.Remote == "" {
		o.Remote = "updates"
	}
	if o.RemoteURL == "" {
		o.RemoteURL = "file:///run/updates/repo"
	}
}

// DefaultKargs boot the small-init guests: root on the first virtio disk,
// console on the serial port (quiet: printing to the emulated UART is
// slow), reboot 5 s after a panic.
var DefaultKargs = []string{"root=/dev/vda", "rw", "console=ttyS0", "quiet", "panic=5", "init=" + TestInitPath}

// MakeSysroot creates a sysroot in dir (init-fs, os-init, the remote) and
// (unless NoDeploy) deploys Ref from buildRepo with the grub2 backend and grubenv boot
// counting on (boot/grub/grub.cfg -> ../loader/grub.cfg, boot/grub/grubenv).
func MakeSysroot(ctx context.Context, g Gostree, dir, buildRepo string, o SysrootOptions) error {
	o.defaults()
	repo := filepath.Join(dir, "ostree", "repo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	steps := [][]string{
		{"admin", "init-fs", dir},
		{"admin", "os-init", "--sysroot=" + dir, o.Stateroot},
		{"remote", "add", "--repo=" + repo, "--no-gpg-verify", o.Remote, o.RemoteURL},
	}
	for _, kv := range o.RepoConfig {
		steps = append(steps, []string{"config", "--repo=" + repo, "set", kv[0], kv[1]})
	}
	if !o.NoDeploy {
		steps = append(steps, []string{"pull-local", "--repo=" + repo, "--remote=" + o.Remote, buildRepo, o.Ref})
	}
	for _, s := range steps {
		if _, err := g.Run(ctx, s...); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "boot", "grub"), 0o755); err != nil {
		return err
	}
	if err := os.Symlink("../loader/grub.cfg", filepath.Join(dir, "boot", "grub", "grub.cfg")); err != nil {
		return err
	}
	if _, err := run(ctx, "", "grub-editenv", filepath.Join(dir, "boot", "grub", "grubenv"), "create"); err != nil {
		return err
	}
	if o.NoDeploy {
		return nil
	}
	args := []string{"admin", "deploy", "--sysroot=" + dir, "--os=" + o.Stateroot, "--karg-none"}
	for _, k := range o.Kargs {
		args = append(args, "--karg="+k)
	}
	_, err := g.Run(ctx, append(args, o.Remote+":"+o.Ref)...)
	return err
}

// MakeUpdatesDir fills dir/repo (an archive repo) with ref from buildRepo
// and writes actions as dir/actions.sh, the script the test init sources
// after the health checks (it sees $VERSION and $DEPLOY).
func MakeUpdatesDir(ctx context.Context, g Gostree, dir, buildRepo, ref, actions string) error {
	repo := filepath.Join(dir, "repo")
	if _, err := os.Stat(filepath.Join(repo, "config")); err != nil {
		if _, err := g.Run(ctx, "init", "--repo="+repo, "--mode=archive"); err != nil {
			return err
		}
	}
	if _, err := g.Run(ctx, "pull-local", "--repo="+repo, buildRepo, ref); err != nil {
		return err
	}
	if _, err := g.Run(ctx, "summary", "--repo="+repo, "-u"); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "actions.sh"), []byte(actions), 0o644)
}

// MakeDisk makes an ext4 image of size (mkfs.ext4 syntax, e.g. "600M")
// labelled label holding a copy of src, with more mkfs.ext4 options
// (e.g. "-O", "verity") if given. Needs root to keep owners.
func MakeDisk(ctx context.Context, src, img, label, size string, mkfsArgs ...string) error {
	if err := os.Remove(img); err != nil && !os.IsNotExist(err) {
		return err
	}
	args := append([]string{"-q", "-F", "-L", label, "-d", src}, mkfsArgs...)
	_, err := run(ctx, "", "mkfs.ext4", append(args, img, size)...)
	if err != nil {
		return fmt.Errorf("disk image %s from %s: %w", img, src, err)
	}
	return nil
}
