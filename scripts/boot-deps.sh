#!/bin/bash
# Installs what the real-boot tests (tests/boot) need: qemu, busybox-static
# for the initramfs and guest trees, GRUB and xorriso for the boot ISO,
# e2fsprogs for disk images, the reference ostree-boot pieces for interop.
# The backports kernel is not installed: the tests fetch it into their cache.
# Does nothing when all are present.
set -eu
pkgs=(qemu-system-x86 qemu-utils busybox-static debootstrap grub-pc-bin grub-common xorriso mtools cpio kmod zstd xz-utils e2fsprogs ostree-boot fdisk)
exec "$(dirname "$0")/apt-ensure.sh" "boot test dependencies" "${pkgs[@]}"
