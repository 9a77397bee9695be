// Package summary owns the summary file (`(a(s(taya{sv}))a{sv})`): its
// codec, its regeneration from a repository's refs, collection refs,
// static deltas and config exactly as libostree 2022.7 writes it, the
// static-delta indexes that regeneration refreshes, and the
// core.auto-update-summary hook that ref-changing commands call.
//
// Level L4: may import gvariant, keyfile, fsx, errdefs (L0), object, ref
// (L1) and repo (L3).
package summary
