// Package repo owns an OSTree repository on disk: its layout and config,
// loose objects in every mode (bare, bare-user, bare-user-only, archive),
// transactions that stage objects in tmp/ and publish them only after
// verification, refs, commitpartial state and the repo lock.
//
// Level L3: imports object, ref, keyfile, fsx, errdefs, gvariant, fsverity.
package repo
