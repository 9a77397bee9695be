// Package fsverity owns fs-verity: computing the kernel's file digest (a
// SHA-256 Merkle tree over the file's blocks, then a hash of the
// fsverity_descriptor) from a stream, and enabling and measuring verity on
// files through the kernel's ioctls.
//
// The digest is what `fsverity digest` prints and what FS_IOC_MEASURE_VERITY
// returns once verity is enabled with the same parameters; composefs stores
// it per file and for the image itself. Computing it needs O(tree depth)
// memory: one pending block per tree level.
//
// Level: L0; imports the standard library and golang.org/x/sys/unix only.
package fsverity
