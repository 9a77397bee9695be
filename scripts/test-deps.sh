#!/bin/bash
# Installs what the tests need: the reference ostree and its test suite,
# GLib's Python bindings (the GVariant oracle), strace (fault-injection
# subtests), attr and xz-utils (the xz decoder tests), shellcheck, systemd
# and ostree-boot (the boot pieces' checks), grub-common and grub-emu (grub-editenv,
# grub-script-check and real GRUB for the grubenv and grub.cfg tests) and
# e2fsprogs (the images grub-emu boots, and the verity-enabled ext4 image the
# fsverity tests mount) and fsverity (the fs-verity digest oracle). Does nothing when
# all are present.
set -eu
pkgs=(ostree ostree-tests strace python3-gi gir1.2-glib-2.0 python3-yaml attr time gcc pkg-config libglib2.0-dev gnupg xz-utils shellcheck systemd ostree-boot grub-common grub-emu e2fsprogs fsverity)
exec "$(dirname "$0")/apt-ensure.sh" "test dependencies" "${pkgs[@]}"
