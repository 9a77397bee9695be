package cfsostree

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/gostree/gostree/internal/composefs"
	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsverity"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
)

// DigestKey is the commit metadata key (type ay, 32 bytes) holding the
// fs-verity digest of the commit's image built with VerityRequired.
const DigestKey = "ostree.composefs.digest.v0"

// imageOptions are libostree's: version 0, or 1 should a whiteout need it.
var imageOptions = composefs.Options{Version: 0, MaxVersion: 1}

// WriteImage writes the image of root to w (nil: nowhere) and returns
// its fs-verity digest.
func WriteImage(w io.Writer, root *composefs.Node) ([32]byte, error) {
	d := fsverity.New(fsverity.Params{})
	out := io.Writer(d)
	if w != nil {
		out = io.MultiWriter(w, d)
	}
	if err := composefs.WriteImage(out, root, imageOptions); err != nil {
		return [32]byte{}, fmt.Errorf("composefs: writing image: %w", err)
	}
	return d.Sum(), nil
}

// Digest is the value `commit --generate-composefs-metadata` stores for
// the tree: the image digest with every file digest recorded.
func Digest(ctx context.Context, src Source, rootTree, rootMeta object.Checksum) ([32]byte, error) {
	root, err := Tree(ctx, src, rootTree, rootMeta, VerityRequired)
	if err != nil {
		return [32]byte{}, err
	}
	return WriteImage(nil, root)
}

// DigestEntry is Digest as a commit metadata entry.
func DigestEntry(d [32]byte) object.MetaEntry {
	return object.MetaEntry{Key: DigestKey, Value: gvariant.NewVariant("ay", append([]byte(nil), d[:]...))}
}

// ExpectedDigest returns the commit's ostree.composefs.digest.v0, or nil
// when it has none. A value of the wrong size is an error.
func ExpectedDigest(md object.Metadata) (*[32]byte, error) {
	v, ok := md.Lookup(DigestKey)
	if !ok || v.Type.String() != "ay" {
		return nil, nil
	}
	b, ok := byteArray(v.Value)
	if !ok || len(b) != 32 {
		return nil, fmt.Errorf("Expected composefs fs-verity in metadata has the wrong size: %w", errdefs.ErrCorrupt)
	}
	var d [32]byte
	copy(d[:], b)
	return &d, nil
}

// CheckDigest compares an image digest with the commit's expectation,
// in libostree's words.
func CheckDigest(got [32]byte, want *[32]byte) error {
	if want == nil || got == *want {
		return nil
	}
	return fmt.Errorf("Generated composefs image digest (%s) doesn't match expected digest (%s): %w",
		hex.EncodeToString(got[:]), hex.EncodeToString(want[:]), errdefs.ErrCorrupt)
}

// byteArray accepts an ay value in either decoded form.
func byteArray(v any) ([]byte, bool) {
	switch b := v.(type) {
	case []byte:
		return b, true
	case []any:
		out := make([]byte, 0, len(b))
		for _, x := range b {
			c, ok := x.(byte)
			if !ok {
				return nil, false
			}
			out = append(out, c)
		}
		return out, true
	}
	return nil, false
}
