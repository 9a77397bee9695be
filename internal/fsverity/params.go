package fsverity

import (
	"errors"
	"fmt"
	"math/bits"
)

// Supported block sizes: the range a kernel can ever accept for the Merkle
// tree (at least 1 KiB, at most the largest page size, 64 KiB).
const (
	DefaultBlockSize = 4096
	MinBlockSize     = 1024
	MaxBlockSize     = 65536
	// MaxSaltSize is the room the descriptor has for the salt.
	MaxSaltSize = 32
)

// sha256BlockSize is SHA-256's input block size; the kernel pads a
// non-empty salt with zeros to it, so salted hashing starts on a block
// boundary.
const sha256BlockSize = 64

// Params select the Merkle tree; the zero value is SHA-256, 4096-byte
// blocks, no salt.
type Params struct {
	BlockSize int    // 0 means DefaultBlockSize
	Salt      []byte // at most MaxSaltSize bytes
}

// ErrInvalidParams is wrapped by every error about a bad Params.
var ErrInvalidParams = errors.New("fsverity: invalid parameters")

// blockSize is p.BlockSize with the default applied.
func (p Params) blockSize() int {
	if p.BlockSize == 0 {
		return DefaultBlockSize
	}
	return p.BlockSize
}

// Validate reports whether the kernel could build a tree with p.
func (p Params) Validate() error {
	bs := p.blockSize()
	if bs < MinBlockSize || bs > MaxBlockSize || bs&(bs-1) != 0 {
		return fmt.Errorf("%w: block size %d is not a power of two in [%d, %d]",
			ErrInvalidParams, bs, MinBlockSize, MaxBlockSize)
	}
	if len(p.Salt) > MaxSaltSize {
		return fmt.Errorf("%w: salt of %d bytes is longer than %d",
			ErrInvalidParams, len(p.Salt), MaxSaltSize)
	}
	return nil
}

// logBlockSize is log2 of the validated block size.
func (p Params) logBlockSize() uint8 {
	return uint8(bits.TrailingZeros(uint(p.blockSize())))
}
