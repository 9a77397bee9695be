package delta

import (
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/sign"
)

// Generator defaults, in bytes (libostree counts megabytes of 1000×1000).
const (
	DefaultMinFallbackSize = 4 * 1000 * 1000
	DefaultMaxBsdiffSize   = 128 * 1000 * 1000
	DefaultMaxChunkSize    = 32 * 1000 * 1000
)

// GenerateOptions configure Generate. The zero value of a size means its
// default; use a negative MinFallbackSize or MaxBsdiffSize to turn
// fallbacks or bsdiff off.
type GenerateOptions struct {
	// From is the starting commit; zero makes a scratch delta.
	From object.Checksum
	To   object.Checksum
	// MinFallbackSize: new files larger than this are left out of the
	// parts, for clients to fetch as .filez.
	MinFallbackSize int64
	// MaxBsdiffSize: bsdiff is tried when the old and new files together
	// are at most this large.
	MaxBsdiffSize int64
	// MaxChunkSize bounds the data of one part.
	MaxChunkSize  int64
	DisableBsdiff bool
	// Inline stores the parts in the superblock.
	Inline bool
	// Endianness of the part and fallback numbers; zero means little.
	Endianness Endianness
	// Filename, when set, is where the superblock goes (the parts go
	// next to it) instead of the repository's deltas/ directory.
	Filename string
	// Metadata is user metadata, stored first in the superblock.
	Metadata object.Metadata
	// Signer and SignKeys sign the superblock: one signature per secret
	// key.
	Signer   sign.Signer
	SignKeys []string
}

// GenerateStats reports what Generate did, for the CLI's diagnostics.
type GenerateStats struct {
	ID ID
	// Modified counts new files paired with an old version.
	Modified int
	// New objects reachable from TO but not FROM.
	NewMeta, NewRegular, NewSymlinks int
	// Rollsum and Bsdiff count the files rebuilt from their old version;
	// RollsumBytes is how much of them the rollsum runs cover.
	Rollsum, Bsdiff int
	RollsumBytes    uint64
	Fallbacks       []Fallback
	Parts           []PartStats
	// Loose is the repository storage size of the objects the parts
	// copy whole.
	Loose uint64
}

// PartStats describes one generated part.
type PartStats struct {
	Objects     int
	Size, USize uint64
}
