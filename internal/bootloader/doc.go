// Package bootloader owns the boot configuration formats that deployments
// are published through: Boot Loader Specification entries
// (boot/loader.N/entries/ostree-*.conf, parsed and written as libostree's
// bootconfig parser does), kernel command lines (libostree's ordered
// multi-valued kernel-args model), and the backends that translate the
// entries for a specific bootloader (syslinux, u-boot, grub2).
//
// Level L2: imports only L0 packages (fsx, errdefs) and the standard
// library; sysroot drives it.
package bootloader
