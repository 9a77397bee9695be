// Package pull owns copying commits and the objects they need from a
// Source into a repository: refs are resolved in the source, commits are
// walked to the requested depth (and, with subpaths, only partly),
// every object the destination lacks is imported through a transaction
// (metadata verified against its checksum, content rewritten in the
// destination's mode and verified, or hard-linked when both repositories
// share a mode and filesystem and the source is trusted), and refs move
// only after all objects are published. Commits are marked partial while
// their trees are copied.
//
// Sources: LocalSource reads a repository on disk (`ostree pull-local`,
// file:// remotes); HTTPSource reads one a web server publishes, through
// internal/fetch. PullRemote is `ostree pull`: it reads a remote's
// configuration (url, mirrorlist=, metalink, contenturl, branches,
// gpg-verify, TLS options), loads the summary (through the summary cache
// in tmp/cache/summaries) or falls back to refs/heads/REF, and runs the
// walk. Signature checks are hooks (RemoteOptions.GPGVerifyCommit and
// friends) that the CLI fills in; the signapi ones (sign-verify,
// sign-verify-summary: ed25519 and dummy) default to internal/sign's
// engines with the keys the remote configures. A failed HTTP pull keeps
// the verified objects it stored, and interrupted downloads resume, so
// the next pull fetches only what is missing.
//
// The walk follows libostree 2022.7's ostree-repo-pull.c: detached
// metadata is fetched before its commit, a stored complete commit is not
// rescanned, a partial one is, a missing parent commit ends a history
// quietly, and tree scans never wait for content downloads. Over HTTP,
// up to 64 requests are in flight (libostree keeps 8; with latency, this
// bounds a pull of thousands of small objects), an eighth of them kept
// for metadata, which also goes first; content is streamed into the
// staging files, and only a few objects are unpacked at once while the
// others wait in their sockets' buffers.
//
// Level L6: imports fsck, summary, remote (L4-L5), repo and fetch (L3),
// sign (L2), object, ref (L1), fsx, keyfile, errdefs (L0) and
// golang.org/x/sync.
package pull
