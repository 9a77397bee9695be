// Package prepareroot owns what runs around switch-root on a booted
// deployment: turning the physical root mounted by the initramfs into the
// deployment's root (the job of libostree's ostree-prepare-root), with or
// without composefs, the remount step after switch-root (ostree-remount),
// and the systemd generator that binds the stateroot's /var.
//
// It is linked into a small static binary that lives in the initramfs, so
// it must not pull in repository, network or CLI code.
//
// Level L2: imports keyfile, gvariant, fsx, fsverity (L0),
// golang.org/x/sys/unix and the standard library (crypto/ed25519 for
// signed composefs).
package prepareroot
