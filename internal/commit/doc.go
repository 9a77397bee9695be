// Package commit builds commits: it layers trees from directories, tar
// and cpio archives and existing commits into an in-memory mutable tree
// (libostree's OstreeMutableTree), applies the commit modifiers
// (ownership, permission canonicalization, statoverride, skip list,
// xattr handling), stores the content objects in parallel, writes the
// dirtree and dirmeta objects bottom-up and finally the commit object,
// all inside one repo.Txn so that nothing is published on error.
//
// Level L5: imports L0 (gvariant, fsx, errdefs), L1 (object, ref), L3
// (repo) and L4 (cfsostree, for the composefs digest). It never prints;
// the CLI renders its results and errors.
package commit
