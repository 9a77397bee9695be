// Package sysroot owns the physical root of an image-based system as
// libostree lays it out: the system repository (ostree/repo), stateroots
// with their shared var (ostree/deploy/STATEROOT/var), deployments as
// hard-link checkouts (ostree/deploy/STATEROOT/deploy/CSUM.SERIAL with a
// .origin keyfile), kernels copied once per boot checksum
// (boot/ostree/STATEROOT-BOOTCSUM), BLS entries in boot/loader.N/entries and
// the ostree/boot.N.M symlink farm that the ostree= kernel argument names.
//
// The BLS entries are the source of truth: Load reads the deployment list
// from them, exactly as libostree does, so either tool can manage a
// sysroot the other made. Writing a new deployment list swaps the
// boot/loader symlink with one rename, the single atomic commit point: a
// crash before it boots the old list, after it the new one.
//
// On a booted system (Options describe the running host) the deployment
// / runs from is the booted one; StageTree checks a deployment out now
// and leaves its /etc merge and boot entry to FinalizeStaged at
// shutdown, with the state between the two kept in /run/ostree.
//
// Level L7: imports pull, checkout, cfsostree, repo, object, bootloader,
// keyfile, gvariant, fsx and errdefs.
package sysroot
