// Package sign owns signatures on commits, summaries and static deltas,
// byte-compatible with libostree 2022.7: OpenPGP (GPG) signatures as its
// gpgme-based code makes them, and the signature engines of its
// OstreeSign API (ed25519, and the test-only "dummy").
//
// OpenPGP:
//
//   - keyrings: reading binary and ASCII-armored OpenPGP keys and GnuPG
//     home directories (GnuPG 1 secring.gpg/pubring.gpg in process, with a
//     small fallback to the gpg binary for GnuPG 2.1+ private-keys-v1.d and
//     pubring.kbx), merging keys and writing binary keyrings the way
//     `gpg --import` does (REPO/<remote>.trustedkeys.gpg);
//   - signing: binary detached signatures (class 0x00) over the exact
//     commit or summary bytes, laid out as gpg 2.2 lays them out, kept in
//     the ostree.gpgsigs (aay) key of detached metadata or summary.sig;
//   - verification: checking ostree.gpgsigs against the keys trusted for a
//     remote, with libostree's result model (valid, expired, revoked,
//     missing key) and its texts ("Found N signatures", "Good signature
//     from", "GPG verification enabled, but no signatures found ...");
//   - listing keys as `ostree remote gpg-list-keys` prints them.
//
// Signature engines (Signer, from Get or New): each signs byte strings
// and keeps its signatures in an aay under its MetadataKey,
// "ostree.sign.ed25519" or "ostree.sign.dummy", next to ostree.gpgsigs.
// ed25519 keys are libostree's (libsodium's) base64 texts: 64-byte
// seed‖public secret keys, 32-byte public keys, keys files of one key per
// line, and key directories (trusted.ed25519, trusted.ed25519.d/,
// revoked.ed25519, revoked.ed25519.d/ under a base directory, by default
// /etc/ostree then /usr/share/ostree). Signatures equal libsodium's byte
// for byte; verification needs one valid signature by a trusted key that
// is not revoked, and its errors are libostree's texts, naming the keys.
//
// Helpers for the places signatures live:
//
//   - a commit: SignData / VerifyData over the commit object's bytes and
//     its detached metadata (the caller reads and writes the metadata);
//   - the summary: SignSummaryKeys appends to summary.sig, VerifyAny
//     checks it with the engines of a remote's sign-verify-summary;
//   - a static-delta superblock: sign the unsigned superblock bytes with
//     Signer.Sign and keep the signatures with AppendSignatureAt(md,
//     s.MetadataKey(), sig) in the metadata of the signed superblock
//     (taya{sv}); verify with VerifyData(ctx, s, superblock, md) after
//     loading keys as `static-delta verify` does (AddPublicKey for each
//     KEY-ID, then LoadKeysFile for --keys-file or LoadKeysDir for
//     --keys-dir / the system directories).
//
// Level L2: imports object, gvariant, errdefs and fsx from this module,
// the standard library (crypto/ed25519 among it) and
// github.com/ProtonMail/go-crypto (packet parsing and the OpenPGP
// public-key primitives). It does not know about repositories or
// remotes: callers pass paths, bytes and metadata.
package sign
