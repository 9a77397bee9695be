package delta

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
)

// SignedType is the signed superblock wrapper (taya{sv}).
var SignedType = gvariant.MustType("(taya{sv})")

// SignedMagic starts a signed superblock: the ASCII bytes "OSTSGNDT",
// stored as a big-endian t.
const SignedMagic uint64 = 0x4F535453474E4454

// signedMagicBytes is SignedMagic as it appears in the file.
var signedMagicBytes = []byte("OSTSGNDT")

// SignKeyPrefix prefixes the signature keys of a signed superblock
// ("ostree.sign.ed25519").
const SignKeyPrefix = "ostree.sign."

// Signed is a signed superblock file: the exact bytes of the unsigned
// superblock and the signatures over them, keyed by engine
// ("ostree.sign.ed25519" → aay).
type Signed struct {
	Superblock []byte
	Signatures object.Metadata
}

// IsSigned reports whether a superblock file is a signed wrapper that
// carries at least one "ostree.sign.*" key, as
// _ostree_repo_static_delta_is_signed decides.
func IsSigned(file []byte) bool {
	s, err := UnmarshalSigned(file)
	if err != nil {
		return false
	}
	for _, e := range s.Signatures {
		if len(e.Key) > len(SignKeyPrefix) && e.Key[:len(SignKeyPrefix)] == SignKeyPrefix {
			return true
		}
	}
	return false
}

// UnmarshalSigned parses a signed superblock wrapper.
func UnmarshalSigned(file []byte) (*Signed, error) {
	if !bytes.HasPrefix(file, signedMagicBytes) {
		return nil, fmt.Errorf("no signatures in static-delta: %w", errdefs.ErrInvalid)
	}
	v, err := gvariant.Unmarshal(SignedType, file)
	if err != nil {
		return nil, fmt.Errorf("signed delta superblock: %w: %w", errdefs.ErrCorrupt, err)
	}
	f := v.([]any)
	s := &Signed{Superblock: f[1].([]byte)}
	for _, e := range f[2].([]any) {
		de := e.(gvariant.DictEntry)
		s.Signatures = append(s.Signatures, object.MetaEntry{Key: de.Key.(string), Value: de.Value.(gvariant.Variant)})
	}
	return s, nil
}

// Marshal serializes the wrapper.
func (s *Signed) Marshal() ([]byte, error) {
	md := make([]any, len(s.Signatures))
	for i, e := range s.Signatures {
		md[i] = gvariant.DictEntry{Key: e.Key, Value: e.Value}
	}
	magic := binary.LittleEndian.Uint64(signedMagicBytes) // so that the bytes read OSTSGNDT
	b, err := gvariant.Marshal(SignedType, []any{magic, append([]byte{}, s.Superblock...), md})
	if err != nil {
		return nil, fmt.Errorf("signed delta superblock: %w", err)
	}
	return b, nil
}

// SignaturesFor returns the signatures stored under an engine's metadata
// key (such as "ostree.sign.ed25519"), each one an element of the aay.
func (s *Signed) SignaturesFor(key string) ([][]byte, bool) {
	v, ok := s.Signatures.Lookup(key)
	if !ok || v.Type.String() != "aay" {
		return nil, false
	}
	list := v.Value.([]any)
	out := make([][]byte, len(list))
	for i, e := range list {
		out[i] = e.([]byte)
	}
	return out, true
}

// ReadSuperblockFile parses the contents of a superblock file, signed or
// not. It returns the superblock, the unsigned superblock bytes (what
// the signatures cover) and the wrapper when the file is signed.
func ReadSuperblockFile(file []byte) (*Superblock, []byte, *Signed, error) {
	var signed *Signed
	raw := file
	if IsSigned(file) {
		s, err := UnmarshalSigned(file)
		if err != nil {
			return nil, nil, nil, err
		}
		signed, raw = s, s.Superblock
	}
	sb, err := UnmarshalSuperblock(raw)
	if err != nil {
		return nil, nil, nil, err
	}
	return sb, raw, signed, nil
}
