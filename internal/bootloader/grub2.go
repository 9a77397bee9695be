package bootloader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// grub2MkconfigPath is the grub-mkconfig the reference build runs by
// default (Debian's name for it).
const grub2MkconfigPath = "/usr/sbin/grub-mkconfig"

// grub2 regenerates grub.cfg by running grub-mkconfig (or
// $OSTREE_GRUB2_EXEC) with _OSTREE_GRUB2_BOOTVERSION set; grub's ostree
// hook calls back `ostree admin instutil grub2-generate` for the menu.
// BIOS setups read boot/loader/grub.cfg through a symlink, so the loader
// swap switches them atomically; on EFI the file on the ESP is replaced
// in place, which is not atomic.
type grub2 struct {
	// efiConfig is EFI/<vendor>/grub.cfg on the ESP when auto-detection
	// found one; a configured grub2 is always treated as BIOS.
	efiConfig string
}

var _ Backend = (*grub2)(nil)

// probeGrub2: active when boot/grub/grub.cfg or boot/grub2/grub.cfg
// exists (a dangling symlink counts), or else when some
// boot/efi/EFI/<dir>/grub.cfg (not EFI/BOOT) exists.
func probeGrub2(sysroot string) (Backend, bool, error) {
	for _, p := range []string{"boot/grub/grub.cfg", "boot/grub2/grub.cfg"} {
		ok, err := lexists(filepath.Join(sysroot, p))
		if err != nil {
			return nil, false, err
		}
		if ok {
			return &grub2{}, true, nil
		}
	}
	efiDir := filepath.Join(sysroot, "boot/efi/EFI")
	d, err := os.Open(efiDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer d.Close()
	// Directory order, as libostree's enumeration takes the first match.
	ents, err := d.ReadDir(-1)
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", efiDir, err)
	}
	for _, e := range ents {
		if e.Name() == "BOOT" || !e.IsDir() {
			continue
		}
		cfg := filepath.Join(efiDir, e.Name(), "grub.cfg")
		if _, err := os.Stat(cfg); err == nil {
			return &grub2{efiConfig: cfg}, true, nil
		}
	}
	return nil, false, nil
}

func (*grub2) Name() string     { return "grub2" }
func (g *grub2) IsAtomic() bool { return g.efiConfig == "" }

func (*grub2) PostBLSSync(context.Context, string, int) error { return nil }

func (g *grub2) WriteConfig(ctx context.Context, sysroot string, bootversion int, entries []*Config) error {
	sysroot, err := filepath.Abs(sysroot)
	if err != nil {
		return err
	}
	exe, set := os.LookupEnv("OSTREE_GRUB2_EXEC")
	system := true
	if set {
		system = strings.HasSuffix(exe, grub2MkconfigPath)
	} else {
		exe = grub2MkconfigPath
	}

	var newConfig string
	if g.efiConfig != "" {
		newConfig = filepath.Join(filepath.Dir(g.efiConfig), "grub.cfg.new")
		if err := removeIfExists(newConfig); err != nil {
			return err
		}
	} else {
		newConfig = filepath.Join(sysroot, fmt.Sprintf("boot/loader.%d/grub.cfg", bootversion))
	}

	// Image-based systems often ship no grub-mkconfig: then we write
	// grub.cfg ourselves.
	builtin := !set && !mkconfigFound(sysroot, entries)
	cmd := exec.CommandContext(ctx, exe, "-o", newConfig)
	cmd.Env = append(os.Environ(), fmt.Sprintf("_OSTREE_GRUB2_BOOTVERSION=%d", bootversion))
	if g.efiConfig != "" {
		cmd.Env = append(cmd.Env, "_OSTREE_GRUB2_IS_EFI=1")
	}
	// The generator's output is discarded unless OSTREE_DEBUG_GRUB2 asks
	// for it on our stdout/stderr, as libostree does.
	if _, debug := os.LookupEnv("OSTREE_DEBUG_GRUB2"); debug {
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	}
	// grub-mkconfig probes the running system, so for a sysroot that is
	// not / (an installer) it runs inside the new default deployment.
	// libostree also requires that no deployment is booted, which for a
	// sysroot other than / always holds.
	if system && sysroot != "/" && len(entries) > 0 {
		root, err := deploymentRoot(sysroot, entries[0])
		if err != nil {
			return err
		}
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Unshareflags: syscall.CLONE_NEWNS}
	}
	if builtin {
		if err := writeBuiltinGrub(sysroot, newConfig, entries, g.efiConfig != ""); err != nil {
			return err
		}
	} else if err := runTool(cmd); err != nil {
		return err
	}

	f, err := os.Open(newConfig)
	if err != nil {
		return fmt.Errorf("openat(%s): %w", newConfig, unwrapPath(err))
	}
	err = unix.Fdatasync(int(f.Fd()))
	f.Close()
	if err != nil {
		return fmt.Errorf("fdatasync: %w", err)
	}

	if g.efiConfig != "" {
		// FAT has no atomic replace: keep a copy as grub.cfg.old, then
		// swap the new file in.
		old := filepath.Join(filepath.Dir(g.efiConfig), "grub.cfg.old")
		if err := removeIfExists(old); err != nil {
			return err
		}
		if err := copyFile(g.efiConfig, old); err != nil {
			return err
		}
		if err := removeIfExists(g.efiConfig); err != nil {
			return err
		}
		if err := os.Rename(newConfig, g.efiConfig); err != nil {
			return fmt.Errorf("rename: %w", unwrapLink(err))
		}
	}
	return nil
}

// runTool runs cmd and words its failure as GLib's spawn errors do.
func runTool(cmd *exec.Cmd) error {
	err := cmd.Run()
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ws, _ := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			return fmt.Errorf("%s: Child process killed by signal %d", cmd.Args[0], ws.Signal())
		}
		return fmt.Errorf("%s: Child process exited with code %d", cmd.Args[0], ee.ExitCode())
	}
	return fmt.Errorf("Failed to execute child process “%s” (%w)", cmd.Args[0], unwrapPath(unwrapExec(err)))
}

// unwrapExec digs the errno out of exec's lookup and start errors.
func unwrapExec(err error) error {
	var en *exec.Error
	if errors.As(err, &en) {
		if errors.Is(en.Err, exec.ErrNotFound) {
			return syscall.ENOENT
		}
		return en.Err
	}
	return err
}

func unwrapLink(err error) error {
	if le, ok := err.(*os.LinkError); ok {
		return le.Err
	}
	return err
}

// deploymentRoot resolves the ostree= argument of e (an
// ostree/boot.N/... link) to the deployment directory.
func deploymentRoot(sysroot string, e *Config) (string, error) {
	arg, ok := ParseKernelArgs(e.Value("options")).LastValue("ostree")
	if !ok {
		return "", fmt.Errorf("No ostree= kernel argument found in boot loader configuration file")
	}
	root, err := filepath.EvalSymlinks(filepath.Join(sysroot, arg))
	if err != nil {
		return "", fmt.Errorf("resolving deployment %s: %w", arg, err)
	}
	return root, nil
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// copyFile copies src's contents (following symlinks) to a new dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Grub2MenuOptions come from grub's ostree hook through the environment.
type Grub2MenuOptions struct {
	// DeviceID ($GRUB2_BOOT_DEVICE_ID) makes the entry ids unique.
	DeviceID string
	// PrepareRootCache ($GRUB2_PREPARE_ROOT_CACHE) is grub script that
	// sets root to the boot partition.
	PrepareRootCache string
	// EFI selects the EFI linux/initrd commands; with the modern grub the
	// reference is built for they are the same as the BIOS ones.
	EFI bool
}

// Grub2Menu writes a grub menuentry for each entry, default first, as
// `ostree admin instutil grub2-generate` prints them.
func Grub2Menu(w io.Writer, entries []*Config, opts Grub2MenuOptions) error {
	var b strings.Builder
	for i, e := range entries {
		title, ok := e.Get("title")
		if !ok {
			title = "(Untitled)"
		}
		fmt.Fprintf(&b, "menuentry %s --class gnu-linux --class gnu --class os --unrestricted %s {\n",
			shellQuote(title), shellQuote(fmt.Sprintf("ostree-%d-%s", i, opts.DeviceID)))
		b.WriteString("load_video\nset gfxpayload=keep\ninsmod gzio\n")
		b.WriteString(opts.PrepareRootCache)
		b.WriteByte('\n')
		linux, ok := e.Get("linux")
		if !ok {
			return fmt.Errorf("No \"linux\" key in bootloader config")
		}
		b.WriteString("linux " + linux)
		if v, ok := e.Get("options"); ok {
			b.WriteString(" " + v)
		}
		b.WriteByte('\n')
		if v, ok := e.Get("initrd"); ok {
			b.WriteString("initrd " + v + "\n")
		}
		if v, ok := e.Get("devicetree"); ok {
			b.WriteString("devicetree " + v + "\n")
		}
		b.WriteString("}\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// shellQuote quotes s for a POSIX shell (and grub's parser) the way
// g_shell_quote does: in single quotes, each quote inside closing the
// string, adding an escaped quote and reopening it.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
