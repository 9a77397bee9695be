// Package remote owns remote configuration: the [remote "NAME"] groups of
// a repository's config file, the *.conf files of a remotes.d directory
// (for system repositories), and the remotes a repository inherits from
// its parent repositories. It adds, replaces, deletes and reads remotes
// the way libostree 2022.7 does; it never touches the network.
//
// Level L4: may import gvariant, keyfile, fsx, errdefs (L0), object, ref
// (L1) and repo (L3).
package remote
