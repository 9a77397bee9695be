package object

import (
	"crypto/sha256"
	"fmt"
	"math/bits"

	"github.com/gostree/gostree/internal/gvariant"
)

// Commit is a commit object.
type Commit struct {
	Metadata  Metadata
	Parent    Checksum // zero when the commit has none
	Related   []any    // a(say), always empty in practice; kept for round trips
	Subject   string
	Body      string
	Timestamp uint64 // seconds since the epoch, UTC
	RootTree  Checksum
	RootMeta  Checksum
}

// CommitType is the serialized commit type.
var CommitType = gvariant.MustType("(a{sv}aya(say)sstayay)")

// Value returns the commit as a gvariant tuple, for embedding (deltas).
func (c *Commit) Value() []any {
	var parent []byte
	if !c.Parent.IsZero() {
		parent = c.Parent[:]
	} else {
		parent = []byte{}
	}
	related := c.Related
	if related == nil {
		related = []any{}
	}
	return []any{
		c.Metadata.value(), parent, related, c.Subject, c.Body,
		bits.ReverseBytes64(c.Timestamp), c.RootTree[:], c.RootMeta[:],
	}
}

// MarshalCommit serializes a commit; its checksum is the sha256 of the
// result.
func MarshalCommit(c *Commit) ([]byte, error) {
	b, err := gvariant.Marshal(CommitType, c.Value())
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return b, nil
}

// UnmarshalCommit parses and validates a commit.
func UnmarshalCommit(b []byte) (*Commit, error) {
	v, err := gvariant.Unmarshal(CommitType, b)
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return CommitFromValue(v.([]any))
}

// CommitFromValue converts a decoded commit tuple.
func CommitFromValue(f []any) (*Commit, error) {
	md, err := metadataFromValue(f[0])
	if err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	c := &Commit{
		Metadata:  md,
		Related:   f[2].([]any),
		Subject:   f[3].(string),
		Body:      f[4].(string),
		Timestamp: bits.ReverseBytes64(f[5].(uint64)),
	}
	if p := f[1].([]byte); len(p) != 0 {
		if c.Parent, err = ChecksumFromBytes(p); err != nil {
			return nil, fmt.Errorf("commit parent: %w", err)
		}
	}
	if c.RootTree, err = ChecksumFromBytes(f[6].([]byte)); err != nil {
		return nil, fmt.Errorf("commit root dirtree: %w", err)
	}
	if c.RootMeta, err = ChecksumFromBytes(f[7].([]byte)); err != nil {
		return nil, fmt.Errorf("commit root dirmeta: %w", err)
	}
	return c, nil
}

// ContentChecksum is what `ostree show` prints as ContentChecksum:
// sha256 of the root dirtree and dirmeta checksums.
func (c *Commit) ContentChecksum() Checksum {
	h := sha256.New()
	h.Write(c.RootTree[:])
	h.Write(c.RootMeta[:])
	var out Checksum
	copy(out[:], h.Sum(nil))
	return out
}

// MarshalTombstone serializes a tombstone for the deleted commit c.
func MarshalTombstone(c Checksum) []byte {
	hex := append([]byte(c.String()), 0)
	b, _ := MarshalMetadata(Metadata{{"commit", gvariant.NewVariant("ay", hex)}})
	return b
}
