// Package cfsostree maps an ostree commit to a composefs image the way
// libostree 2025.2 does (ostree_repo_checkout_composefs and the digest
// `commit --generate-composefs-metadata` stores), reading the commit's
// dirtree, dirmeta and content objects without checking anything out.
//
// Every regular file with content points at its object in a bare-layout
// objects directory ("xx/rest.file"), optionally with its fs-verity
// digest; files are never inlined or hard-linked, every mtime is 0, and
// the root gains the empty directories a booted root bind-mounts over.
// The image bytes, and so its fs-verity digest, are a pure function of
// the commit and the Verity mode.
//
// Level: L4. It imports repo (L3), object and composefs (L1), fsverity,
// fsx and errdefs (L0).
package cfsostree
