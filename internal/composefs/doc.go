// Package composefs reads and writes composefs images: the EROFS
// metadata images that libcomposefs's mkcomposefs writes (format versions 0
// and 1), byte for byte, and libcomposefs's text dump format (what
// composefs-info dump prints and mkcomposefs --from-file reads).
//
// It owns the node model (Node), the image writer (WriteImage), the
// verifying image reader (ReadImage), the dump codec (ParseDump,
// WriteDump) and building a tree from a directory on disk (FromDir). It
// knows nothing about ostree, so other projects can use it as is.
//
// An image is a pure function of the tree and the format version: no
// timestamps, UUIDs or hash-table orders leak into it.
//
// Level: L1. It may import the L0 packages fsx, errdefs and fsverity.
package composefs
