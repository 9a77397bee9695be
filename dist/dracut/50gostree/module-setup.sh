#!/bin/bash
# dracut module: gostree-prepare-root, its unit and prepare-root.conf in a
# systemd initramfs. The unit only acts on boots with ostree= on the
# kernel command line, so including it whenever it is installed is safe.
# dracut sets initdir, systemdsystemunitdir and systemdsystemconfdir.
# shellcheck disable=SC2154

check() {
    require_binaries /usr/lib/gostree/gostree-prepare-root || return 1
    return 0
}

depends() {
    echo systemd
}

install() {
    inst_binary /usr/lib/gostree/gostree-prepare-root
    # The configuration is read in the initramfs, so it must be copied in.
    local conf
    for conf in /usr/lib/ostree/prepare-root.conf /etc/ostree/prepare-root.conf; do
        if [[ -e $conf ]]; then
            inst_simple "$conf"
        fi
    done
    inst_simple "$systemdsystemunitdir/gostree-prepare-root.service"
    mkdir -p "$initdir$systemdsystemconfdir/initrd-root-fs.target.wants"
    ln_r "$systemdsystemunitdir/gostree-prepare-root.service" \
        "$systemdsystemconfdir/initrd-root-fs.target.wants/gostree-prepare-root.service"
}
