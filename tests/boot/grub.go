package boot

import (
	"context"
	"os"
	"path/filepath"
)

// isoConfig is the ISO's grub.cfg: serial console, then the sysroot disk's
// own /boot/grub/grub.cfg (the one gostree writes). Modules the sysroot's
// config needs are loaded here, from the ISO.
const isoConfig = `serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial
insmod part_msdos
insmod ext2
insmod loadenv
insmod test
insmod echo
insmod linux
insmod gzio
search --no-floppy --label sysroot --set=root
echo "GRUB-ISO root=$root"
configfile /boot/grub/grub.cfg
`

// BuildISO writes a BIOS/EFI GRUB rescue ISO (grub-mkrescue) to out that
// chains to the grub.cfg of the disk labelled "sysroot".
func BuildISO(ctx context.Context, out string) error {
	stage, err := os.MkdirTemp(filepath.Dir(out), "iso-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	if err := os.MkdirAll(filepath.Join(stage, "boot", "grub"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(stage, "boot", "grub", "grub.cfg"), []byte(isoConfig), 0o644); err != nil {
		return err
	}
	_, err = run(ctx, "", "grub-mkrescue", "-o", out, stage)
	return err
}
