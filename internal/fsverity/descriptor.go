package fsverity

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// Layout of struct fsverity_descriptor, whose SHA-256 is the file digest.
const (
	descriptorSize = 256
	offVersion     = 0
	offHashAlg     = 1
	offLogBlock    = 2
	offSaltSize    = 3
	offSigSize     = 4 // le32, always 0 in the hashed form
	offDataSize    = 8 // le64
	offRootHash    = 16
	offSalt        = 80 // 32 bytes; then 144 reserved bytes
)

// hashAlgSHA256 is FS_VERITY_HASH_ALG_SHA256.
const hashAlgSHA256 = 1

// descriptor builds the fsverity_descriptor for a tree over size bytes.
func descriptor(p Params, size uint64, root [sha256.Size]byte) [descriptorSize]byte {
	var b [descriptorSize]byte
	b[offVersion] = 1
	b[offHashAlg] = hashAlgSHA256
	b[offLogBlock] = p.logBlockSize()
	b[offSaltSize] = uint8(len(p.Salt))
	binary.LittleEndian.PutUint64(b[offDataSize:], size)
	copy(b[offRootHash:], root[:]) // the rest of the 64-byte field stays zero
	copy(b[offSalt:], p.Salt)
	return b
}

func descriptorDigest(p Params, size uint64, root [sha256.Size]byte) [sha256.Size]byte {
	b := descriptor(p, size, root)
	return sha256.Sum256(b[:])
}

// digestPrefix is how `fsverity digest` names the algorithm.
const digestPrefix = "sha256:"

// FormatDigest returns d as `fsverity digest` prints it: "sha256:" and
// lowercase hex.
func FormatDigest(d [sha256.Size]byte) string {
	return digestPrefix + hex.EncodeToString(d[:])
}

// ParseDigest parses a SHA-256 fs-verity digest written as 64 hex digits,
// with or without the "sha256:" prefix.
func ParseDigest(s string) ([sha256.Size]byte, error) {
	var d [sha256.Size]byte
	h := strings.TrimPrefix(s, digestPrefix)
	if len(h) != 2*sha256.Size {
		return d, fmt.Errorf("fsverity: digest %q: want %d hex digits", s, 2*sha256.Size)
	}
	if _, err := hex.Decode(d[:], []byte(h)); err != nil {
		return d, fmt.Errorf("fsverity: digest %q: %w", s, err)
	}
	return d, nil
}
