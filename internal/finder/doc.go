// Package finder owns collection-based discovery, libostree 2022.7's
// OstreeRepoFinder machinery: given collection-refs (collection ID, ref
// name), finders list the places that claim to serve them — Config the
// configured remotes whose collection-id matches (read from their
// summaries), Mount the repositories on mounted removable volumes
// (.ostree/repos.d/*, .ostree/repo, ostree/repo, var/lib/flatpak/repo).
// Find checks every candidate's summary and keeps, per ref, only the
// remotes that have its newest commit, in priority order (`ostree
// find-remotes`); Pull pulls the results, pinned to those commits and
// GPG-verified with the keyring of the remote configured for the
// collection. CreateUSB writes a repository that Mount finds (`ostree
// create-usb`). There is no LAN (Avahi) finder, as in a libostree build
// without Avahi.
//
// Level L7: imports pull (L6), summary, remote (L4), repo, fetch (L3),
// object, ref (L1), errdefs and fsx (L0).
package finder
