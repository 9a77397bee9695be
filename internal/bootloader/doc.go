// Package bootloader owns the boot configuration formats that deployments
// are published through: Boot Loader Specification entries
// (boot/loader.N/entries/ostree-*.conf, parsed and written as libostree's
// bootconfig parser does), kernel command lines (libostree's ordered
// multi-valued kernel-args model), and the backends that translate the
// entries for a specific bootloader (syslinux.cfg, U-Boot's uEnv.txt,
// grub2 through grub-mkconfig and the grub2-generate menu, zipl), chosen
// by sysroot.bootloader or detected as libostree does.
//
// Level L2: imports only L0 packages (fsx, errdefs), golang.org/x/sys/unix
// and the standard library; sysroot drives it.
package bootloader
