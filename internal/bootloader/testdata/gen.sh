#!/bin/bash
# Regenerates the golden files under testdata/{syslinux,uboot,grub2} with
# the reference ostree (libostree 2022.7): see README.md. Run as root (the
# deployments get the immutable flag otherwise removed here) from
# internal/bootloader: testdata/gen.sh
set -euo pipefail
OSTREE=${OSTREE:-/usr/bin/ostree}
out=$(pwd)/testdata
work=$(mktemp -d)
trap 'chattr -R -i "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
export OSTREE_SYSROOT_DEBUG=mutable-deployments

# A repo with four bootable commits: 1.0.9 (old), 1.0.10 (runtime), one
# with a dtb directory and a usr/lib/ostree-boot/uEnv.txt (dtb), one
# with a single devicetree (dt).
cd "$work"
$OSTREE --repo=repo init --mode=archive
mkdir -p os/usr/bin os/usr/lib/modules/3.6.0 os/usr/etc
cd os
echo "a kernel" > usr/lib/modules/3.6.0/vmlinuz
echo "an initramfs" > usr/lib/modules/3.6.0/initramfs.img
echo "an executable" > usr/bin/sh
printf 'NAME=TestOS\nVERSION=42\nID=testos\nVERSION_ID=42\nPRETTY_NAME="TestOS 42"\n' > usr/etc/os-release
c() { $OSTREE --repo=../repo commit --bootable --add-metadata-string version=$1 -b testos/$2 -s Build --timestamp=$3 >/dev/null; }
c 1.0.9 old 2020-01-01
echo "a new executable" > usr/bin/sh
c 1.0.10 runtime 2020-01-02
echo "a dt kernel" > usr/lib/modules/3.6.0/vmlinuz
echo "a devicetree" > usr/lib/modules/3.6.0/devicetree
c 1.0.12 dt 2020-01-04
rm usr/lib/modules/3.6.0/devicetree
echo "a dtb kernel" > usr/lib/modules/3.6.0/vmlinuz
mkdir -p usr/lib/ostree-boot usr/lib/modules/3.6.0/dtb
printf 'loaduimage=load mmc ${bootpart} ${loadaddr} ${kernel_image}\nmmcboot=run loaduimage; bootz ${loadaddr}\n' > usr/lib/ostree-boot/uEnv.txt
echo "a device tree" > usr/lib/modules/3.6.0/dtb/board.dtb
c 1.0.11 dtb 2020-01-03
cd ..
mkdir base
$OSTREE admin init-fs base >/dev/null
$OSTREE admin os-init --sysroot=base testos >/dev/null
$OSTREE --repo=base/ostree/repo pull-local --remote=testos repo testos/old testos/runtime testos/dtb testos/dt >/dev/null

# newroot MODE: a copy of base set up as libtest.sh's setup_os_boot_MODE.
newroot() {
    chattr -R -i s 2>/dev/null || true
    rm -rf s; cp -a base s
    mkdir -p s/boot/loader.0; ln -s loader.0 s/boot/loader
    case $1 in
    syslinux) mkdir -p s/boot/syslinux; ln -s ../loader/syslinux.cfg s/boot/syslinux/syslinux.cfg;;
    uboot) touch s/boot/loader/uEnv.txt; ln -s loader/uEnv.txt s/boot/uEnv.txt;;
    esac
}
deploy() { $OSTREE admin deploy --retain --sysroot=s --os=testos --karg=root=LABEL=MOO --karg-append=quiet testos:testos/$1 >/dev/null; }
loader() { readlink s/boot/loader; }
# save DIR: the current boot version's entries.
save() { rm -rf "$1"; mkdir -p "$1/entries"; cp s/boot/loader/entries/*.conf "$1/entries/"; }

# syslinux: case NAME OLDCONFIG; two deploys, each a golden case.
rm -rf "$out/syslinux"; mkdir -p "$out/syslinux"
sys() {
    newroot syslinux
    printf "$2" > s/boot/loader/syslinux.cfg
    for step in 1 2; do
        d=$out/syslinux/$1-$step
        cp s/boot/loader/syslinux.cfg "$work/old.cfg"
        if [ $step = 1 ]; then ref=runtime; else ref=old; fi
        if deploy $ref 2>"$work/err"; then
            save "$d"; cp "$work/old.cfg" "$d/old.cfg"; cp s/boot/loader/syslinux.cfg "$d/want.cfg"
        else
            # Entries of the failed write are under the other loader.
            mkdir -p "$d/entries"; cp s/boot/loader.1/entries/*.conf "$d/entries/"
            cp "$work/old.cfg" "$d/old.cfg"; sed 's/^error: Bootloader write config: //' "$work/err" > "$d/want.err"
            break
        fi
    done
}
sys empty ''
sys foreign 'PROMPT 1\nTIMEOUT 50\nDEFAULT Fedora\n\nLABEL Fedora\n\tKERNEL /vmlinuz-fedora\n\tAPPEND root=/dev/sda1\n\n\nLABEL other\n\tKERNEL /boot/foo\n'
sys ostree-default 'MENU TITLE boot\nDEFAULT TestOS 42 1.0.9 (ostree:0)\nLABEL TestOS 42 1.0.9 (ostree:0)\n\tKERNEL /boot/ostree/testos-abc/vmlinuz-3.6.0\n\tAPPEND ostree=/ostree/boot.0/testos/abc/0\nLABEL memtest\n\tKERNEL /memtest86\n\n\nTIMEOUT 5\n'
sys old-format 'DEFAULT ostree:testos:0\nLABEL ostree:testos:0\n\tKERNEL /ostree/testos-abc/vmlinuz-3.6.0\n\tINITRD /ostree/testos-abc/initramfs-3.6.0.img\nLABEL hd\n\tKERNEL chain.c32\n\tAPPEND hd0\n'
sys no-newline 'TIMEOUT 5'
sys blank-lines '\n\nTIMEOUT 5\n\n\nPROMPT 0\n\n\n'
sys kernel-carries 'LABEL a\n\tKERNEL /boot/ostree/testos-abc/vmlinuz\nLABEL b\n\tAPPEND nokernel\nLABEL c\n\tKERNEL /vmlinuz\n'
sys no-kernel 'LABEL a\n\tAPPEND x\n'
sys space-indent 'LABEL a\n    KERNEL /vmlinuz\n'

# uboot: the entries of two deploys; system-uEnv.txt is the default
# deployment's usr/lib/ostree-boot/uEnv.txt, if any.
rm -rf "$out/uboot"; mkdir -p "$out/uboot"
ub() {
    name=$1; shift
    newroot uboot
    for r in "$@"; do deploy $r; done
    d=$out/uboot/$name; save "$d"
    cp "s/boot/$(loader)/uEnv.txt" "$d/want.txt"
    sys=$(sed -n 's/.*ostree=\([^ ]*\).*/\1/p' "$(ls s/boot/loader/entries/*.conf | sort -V | tail -1)")
    if [ -f "s$sys/usr/lib/ostree-boot/uEnv.txt" ]; then cp "s$sys/usr/lib/ostree-boot/uEnv.txt" "$d/system-uEnv.txt"; fi
}
ub single runtime
ub two old runtime
ub dtb-system-uenv runtime dtb
ub devicetree runtime dt
ub three old runtime dt

# grub2: instutil grub2-generate for the entries of two deploys.
rm -rf "$out/grub2"; mkdir -p "$out/grub2"
gr() {
    name=$1; shift
    newroot none
    for r in "$@"; do deploy $r; done
    d=$out/grub2/$name; save "$d"
    GRUB2_BOOT_DEVICE_ID="dev'1" GRUB2_PREPARE_ROOT_CACHE="set root='hd0,msdos1'" \
        $OSTREE admin instutil grub2-generate --sysroot=s > "$d/want.txt"
}
gr two old runtime
gr devicetree runtime dt
