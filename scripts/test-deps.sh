#!/bin/bash
# Installs what the tests need: the reference ostree and its test suite,
# GLib's Python bindings (the GVariant oracle), strace (fault-injection
# subtests), attr and xz-utils (the xz decoder tests), shellcheck, systemd
# and ostree-boot (the boot pieces' checks), grub-common and grub-emu (grub-editenv,
# grub-script-check and real GRUB for the grubenv and grub.cfg tests) and
# e2fsprogs (the images grub-emu boots). Does nothing when
# all are present.
set -eu
pkgs=(ostree ostree-tests strace python3-gi gir1.2-glib-2.0 python3-yaml attr time gcc pkg-config libglib2.0-dev gnupg xz-utils shellcheck systemd ostree-boot grub-common grub-emu e2fsprogs)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
if [[ $(id -u) != 0 ]]; then
  echo "missing test dependencies: ${missing[*]} (run as root: apt-get install -y ${missing[*]})" >&2
  exit 1
fi
echo "installing test dependencies: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
