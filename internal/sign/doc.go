// Package sign owns OpenPGP (GPG) signatures on commits and summaries,
// byte-compatible with libostree 2022.7's gpgme-based code:
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
// Level L2: imports object, gvariant, errdefs and fsx from this module,
// the standard library and github.com/ProtonMail/go-crypto (packet parsing
// and the public-key primitives). It does not know about
// repositories or remotes: callers pass paths, bytes and metadata.
package sign
