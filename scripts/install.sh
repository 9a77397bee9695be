#!/bin/sh
# Install the built gostree binaries and the boot pieces from dist/ under
# DESTDIR (default: the running system).
#
#   scripts/install.sh [--ostree-link] [DESTDIR]
#
# It expects bin/gostree and bin/gostree-prepare-root (BINDIR overrides
# bin); --ostree-link also installs /usr/bin/ostree -> gostree.
set -eu
cd "$(dirname "$0")/.."

ostree_link=0
if [ "${1:-}" = --ostree-link ]; then
    ostree_link=1
    shift
fi
if [ $# -gt 1 ]; then
    echo "usage: $0 [--ostree-link] [DESTDIR]" >&2
    exit 2
fi
dest=${1:-}
dest=${dest%/}
bindir=${BINDIR:-bin}

for b in gostree gostree-prepare-root; do
    if [ ! -x "$bindir/$b" ]; then
        echo "install.sh: $bindir/$b is missing or not executable: build it first" >&2
        exit 1
    fi
done

# put MODE SRC DST: copy next to DST, then rename over it.
put() {
    mkdir -p "$dest$(dirname "$3")"
    install -m "$1" "$2" "$dest$3.tmp.$$"
    mv -f "$dest$3.tmp.$$" "$dest$3"
}

# link TARGET DST: a symlink, replaced by rename.
link() {
    mkdir -p "$dest$(dirname "$2")"
    ln -sfn "$1" "$dest$2.tmp.$$"
    mv -fT "$dest$2.tmp.$$" "$dest$2"
}

put 0755 "$bindir/gostree" /usr/bin/gostree
if [ "$ostree_link" = 1 ]; then
    link gostree /usr/bin/ostree
fi
put 0755 "$bindir/gostree-prepare-root" /usr/lib/gostree/gostree-prepare-root
link gostree-prepare-root /usr/lib/gostree/gostree-remount
link ../../gostree/gostree-prepare-root /usr/lib/systemd/system-generators/gostree-system-generator
# Units, and drop-in directories (NAME.d/) with their files.
for unit in dist/systemd/*; do
    if [ -d "$unit" ]; then
        for f in "$unit"/*; do
            put 0644 "$f" "/usr/lib/systemd/system/${unit##*/}/${f##*/}"
        done
    else
        put 0644 "$unit" "/usr/lib/systemd/system/${unit##*/}"
    fi
done
put 0755 dist/dracut/50gostree/module-setup.sh /usr/lib/dracut/modules.d/50gostree/module-setup.sh
put 0755 dist/initramfs-tools/hooks/gostree /usr/share/initramfs-tools/hooks/gostree
put 0755 dist/initramfs-tools/scripts/local-bottom/gostree /usr/share/initramfs-tools/scripts/local-bottom/gostree
if [ -d dist/grub.d ]; then
    for script in dist/grub.d/*; do
        put 0755 "$script" "/etc/grub.d/${script##*/}"
    done
fi
