#!/bin/bash
# Installs what the real-boot tests (tests/boot) need: qemu, busybox-static
# for the initramfs and guest trees, GRUB and xorriso for the boot ISO,
# e2fsprogs for disk images, the reference ostree-boot pieces for interop.
# The backports kernel is not installed: the tests fetch it into their cache.
# Does nothing when all are present.
set -eu
pkgs=(qemu-system-x86 qemu-utils busybox-static debootstrap grub-pc-bin grub-common xorriso mtools cpio kmod zstd xz-utils e2fsprogs ostree-boot fdisk)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
if [[ $(id -u) != 0 ]]; then
  echo "missing boot test dependencies: ${missing[*]} (run as root: apt-get install -y --no-install-recommends ${missing[*]})" >&2
  exit 1
fi
echo "installing boot test dependencies: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
