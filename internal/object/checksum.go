package object

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Checksum is a SHA-256 object name. Compare with ==.
type Checksum [32]byte

// ZeroChecksum is the unset checksum.
var ZeroChecksum Checksum

// String returns the 64 lowercase hex digits.
func (c Checksum) String() string { return hex.EncodeToString(c[:]) }

// IsZero reports whether c is unset.
func (c Checksum) IsZero() bool { return c == ZeroChecksum }

// MarshalText implements encoding.TextMarshaler.
func (c Checksum) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Checksum) UnmarshalText(b []byte) error {
	x, err := ParseChecksum(string(b))
	if err != nil {
		return err
	}
	*c = x
	return nil
}

// ParseChecksum parses 64 lowercase hex digits, as libostree requires.
func ParseChecksum(s string) (Checksum, error) {
	var c Checksum
	if !IsChecksumString(s) {
		return c, fmt.Errorf("invalid checksum %q", s)
	}
	hex.Decode(c[:], []byte(s)) //nolint:errcheck // validated above
	return c, nil
}

// IsChecksumString reports whether s is 64 lowercase hex digits.
func IsChecksumString(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ChecksumFromBytes converts a 32-byte ay value.
func ChecksumFromBytes(b []byte) (Checksum, error) {
	var c Checksum
	if len(b) != 32 {
		return c, fmt.Errorf("invalid checksum of %d bytes", len(b))
	}
	copy(c[:], b)
	return c, nil
}

// Sum returns the checksum of data.
func Sum(data []byte) Checksum { return sha256.Sum256(data) }
