package admin

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/sysroot"
)

// kexecLoad is upgrade and switch's --kexec: the new deployment's kernel
// and initramfs, with its kernel arguments, are loaded with
// kexec_file_load so that `systemctl kexec` boots into it without going
// through firmware. Staged deployments are not loaded, as in libostree:
// their boot entry does not exist before shutdown.
func kexecLoad(s *sysroot.Sysroot, d *sysroot.Deployment) error {
	root := s.Abs(d.RelPath())
	k, err := sysroot.FindKernel(root, true)
	if err != nil {
		return fmt.Errorf("Loading kernel into kexec: %w", err)
	}
	kernel, err := os.Open(filepath.Join(root, k.BootDir, k.Kernel))
	if err != nil {
		return fmt.Errorf("Loading kernel into kexec: %w", err)
	}
	defer kernel.Close()
	initrdFD, flags := -1, 0
	if k.Initramfs != "" {
		initrd, err := os.Open(filepath.Join(root, k.BootDir, k.Initramfs))
		if err != nil {
			return fmt.Errorf("Loading kernel into kexec: %w", err)
		}
		defer initrd.Close()
		initrdFD = int(initrd.Fd())
	} else {
		flags |= unix.KEXEC_FILE_NO_INITRAMFS
	}
	var options string
	if d.BootConfig != nil {
		options = d.BootConfig.Value("options")
	}
	if err := unix.KexecFileLoad(int(kernel.Fd()), initrdFD, options, flags); err != nil {
		return fmt.Errorf("Loading kernel into kexec: kexec_file_load: %w", err)
	}
	return nil
}
