// Package boot boots real gostree sysroots in qemu (TCG) through GRUB and
// checks what the guest reports on its serial console. The non-test files are
// the harness (kernel, initramfs, guest trees, disks, GRUB ISO, qemu runs);
// the scenarios live in *_test.go. See README.md.
//
// Level: test-only; runs the gostree binary and system tools, imports no
// gostree package.
package boot
