package delta

import (
	"bytes"
	"fmt"
	"math"
	"math/bits"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
)

// Serialized types of the delta formats.
var (
	SuperblockType = gvariant.MustType("(a{sv}tayay" + object.CommitType.String() + "aya(uayttay)a(yaytt))")
	partHeaderType = gvariant.MustType("(uayttay)")
	fallbackType   = gvariant.MustType("(yaytt)")
)

// Metadata keys of the superblock.
const (
	// KeyEndianness holds a byte, 'l' or 'B': the byte order of the part
	// header and fallback sizes.
	KeyEndianness = "ostree.endianness"
)

// PartVersion is the only part format version (OSTREE_DELTAPART_VERSION).
const PartVersion = 0

// objRecordLen is the size of one entry of a part's object list: the
// object type byte and the binary checksum.
const objRecordLen = 33

// Endianness is the byte order of a superblock's part-header and
// fallback numbers, which libostree writes in the generator's host order.
type Endianness byte

// Byte orders, as stored under KeyEndianness.
const (
	EndianInvalid Endianness = 0
	EndianLittle  Endianness = 'l'
	EndianBig     Endianness = 'B'
)

// String names the byte order as ostree static-delta show does.
func (e Endianness) String() string {
	switch e {
	case EndianLittle:
		return "little"
	case EndianBig:
		return "big"
	}
	return "invalid"
}

// Superblock is the description of a static delta: the file
// deltas/…/superblock (unwrapped when it is signed).
type Superblock struct {
	// Metadata is the a{sv} as stored: user keys, KeyEndianness, inline
	// parts (ID.PartPath(i) → (yay)) and the TO commit's detached
	// metadata (ID.CommitMetaKey() → a{sv}). Marshal writes it as is.
	Metadata object.Metadata
	// Timestamp is the generation time in seconds (stored big-endian).
	Timestamp uint64
	// From is zero for a scratch delta.
	From, To object.Checksum
	// Commit is the serialized TO commit object; its sha256 is To.
	Commit []byte
	// Parts and Fallbacks hold host-order numbers; Endianness says how
	// they are stored.
	Parts     []PartHeader
	Fallbacks []Fallback
	// Endianness is the byte order of the stored part and fallback
	// numbers. Unmarshal takes it from KeyEndianness or, for deltas
	// older than that key, guesses it (Heuristic is then set; a failed
	// guess leaves EndianInvalid and the numbers as read). Marshal
	// writes big-endian numbers for EndianBig, little-endian otherwise.
	Endianness Endianness
	Heuristic  bool
}

// PartHeader describes one part of a delta.
type PartHeader struct {
	Version uint32
	// Checksum is the sha256 of the part file (compression byte
	// included). Inline parts are not checked against it.
	Checksum object.Checksum
	// Size is the part file's size.
	Size uint64
	// USize is the total uncompressed size of the objects it creates.
	USize uint64
	// Objects are created in this order by the part's operations.
	Objects []object.Name
}

// Fallback is an object the delta leaves to be fetched on its own (as a
// .filez); libostree only emits content objects here.
type Fallback struct {
	Type     object.Type
	Checksum object.Checksum
	// Size is the stored (.filez) size, USize the uncompressed one.
	Size, USize uint64
}

// ID returns the delta's name.
func (sb *Superblock) ID() ID { return ID{From: sb.From, To: sb.To} }

// InlinePart returns the part file bytes of part i when the generator
// inlined it into the superblock (--inline).
func (sb *Superblock) InlinePart(i int) ([]byte, bool) {
	v, ok := sb.Metadata.Lookup(sb.ID().PartPath(i))
	if !ok || v.Type.String() != "(yay)" {
		return nil, false
	}
	f := v.Value.([]any)
	data := f[1].([]byte)
	out := make([]byte, 1+len(data))
	out[0] = f[0].(byte)
	copy(out[1:], data)
	return out, true
}

// DetachedMetadata returns the TO commit's detached metadata when the
// delta carries it.
func (sb *Superblock) DetachedMetadata() (object.Metadata, bool, error) {
	v, ok := sb.Metadata.Lookup(sb.ID().CommitMetaKey())
	if !ok || v.Type.String() != "a{sv}" {
		return nil, false, nil
	}
	b, err := gvariant.Marshal(v.Type, v.Value)
	if err != nil {
		return nil, false, err
	}
	md, err := object.UnmarshalMetadata(b)
	if err != nil {
		return nil, false, fmt.Errorf("delta %s detached metadata: %w", sb.ID(), err)
	}
	return md, true, nil
}

// Marshal serializes the superblock in normal form.
func (sb *Superblock) Marshal() ([]byte, error) {
	commit, err := gvariant.Unmarshal(object.CommitType, sb.Commit)
	if err != nil {
		return nil, fmt.Errorf("delta superblock commit: %w", err)
	}
	swap := sb.Endianness == EndianBig
	parts := make([]any, len(sb.Parts))
	for i, p := range sb.Parts {
		objs := make([]byte, 0, len(p.Objects)*objRecordLen)
		for _, o := range p.Objects {
			objs = append(objs, byte(o.Type))
			objs = append(objs, o.Checksum[:]...)
		}
		parts[i] = []any{swap32(swap, p.Version), bytes.Clone(p.Checksum[:]),
			swap64(swap, p.Size), swap64(swap, p.USize), objs}
	}
	fallbacks := make([]any, len(sb.Fallbacks))
	for i, f := range sb.Fallbacks {
		fallbacks[i] = []any{byte(f.Type), bytes.Clone(f.Checksum[:]),
			swap64(swap, f.Size), swap64(swap, f.USize)}
	}
	var from []byte
	if !sb.From.IsZero() {
		from = sb.From[:]
	}
	md := make([]any, len(sb.Metadata))
	for i, e := range sb.Metadata {
		md[i] = gvariant.DictEntry{Key: e.Key, Value: e.Value}
	}
	v := []any{md, bits.ReverseBytes64(sb.Timestamp), append([]byte{}, from...),
		bytes.Clone(sb.To[:]), commit, []byte{}, parts, fallbacks}
	b, err := gvariant.Marshal(SuperblockType, v)
	if err != nil {
		return nil, fmt.Errorf("delta superblock: %w", err)
	}
	return b, nil
}

// UnmarshalSuperblock parses and validates an (unsigned) superblock.
func UnmarshalSuperblock(b []byte) (*Superblock, error) {
	v, err := gvariant.Unmarshal(SuperblockType, b)
	if err != nil {
		return nil, fmt.Errorf("delta superblock: %w: %w", errdefs.ErrCorrupt, err)
	}
	f := v.([]any)
	sb := &Superblock{Timestamp: bits.ReverseBytes64(f[1].(uint64))}
	for _, e := range f[0].([]any) {
		de := e.(gvariant.DictEntry)
		sb.Metadata = append(sb.Metadata, object.MetaEntry{Key: de.Key.(string), Value: de.Value.(gvariant.Variant)})
	}
	if from := f[2].([]byte); len(from) != 0 {
		if sb.From, err = object.ChecksumFromBytes(from); err != nil {
			return nil, corrupt("from checksum: %v", err)
		}
	}
	if sb.To, err = object.ChecksumFromBytes(f[3].([]byte)); err != nil {
		return nil, corrupt("to checksum: %v", err)
	}
	if sb.Commit, err = gvariant.Marshal(object.CommitType, f[4]); err != nil {
		return nil, corrupt("commit: %v", err)
	}
	if _, err := object.UnmarshalCommit(sb.Commit); err != nil {
		return nil, corrupt("commit: %v", err)
	}
	if object.Sum(sb.Commit) != sb.To {
		return nil, corrupt("embedded commit is not %s", sb.To)
	}
	raw := f[6].([]any)
	sb.Parts = make([]PartHeader, len(raw))
	for i, pv := range raw {
		pf := pv.([]any)
		p := &sb.Parts[i]
		p.Version, p.Size, p.USize = pf[0].(uint32), pf[2].(uint64), pf[3].(uint64)
		if p.Checksum, err = object.ChecksumFromBytes(pf[1].([]byte)); err != nil {
			return nil, corrupt("part %d checksum: %v", i, err)
		}
		if p.Objects, err = parseObjects(pf[4].([]byte)); err != nil {
			return nil, corrupt("part %d: %v", i, err)
		}
	}
	raw = f[7].([]any)
	sb.Fallbacks = make([]Fallback, len(raw))
	for i, fv := range raw {
		ff := fv.([]any)
		fb := &sb.Fallbacks[i]
		fb.Type, fb.Size, fb.USize = object.Type(ff[0].(byte)), ff[2].(uint64), ff[3].(uint64)
		if err := validateObjType(fb.Type); err != nil {
			return nil, corrupt("fallback %d: %v", i, err)
		}
		if fb.Checksum, err = object.ChecksumFromBytes(ff[1].([]byte)); err != nil {
			return nil, corrupt("fallback %d checksum: %v", i, err)
		}
	}
	sb.Endianness, sb.Heuristic = sb.guessEndianness()
	if sb.Endianness == EndianBig {
		for i := range sb.Parts {
			p := &sb.Parts[i]
			p.Version, p.Size, p.USize = bits.ReverseBytes32(p.Version), bits.ReverseBytes64(p.Size), bits.ReverseBytes64(p.USize)
		}
		for i := range sb.Fallbacks {
			fb := &sb.Fallbacks[i]
			fb.Size, fb.USize = bits.ReverseBytes64(fb.Size), bits.ReverseBytes64(fb.USize)
		}
	}
	return sb, nil
}

// guessEndianness is _ostree_delta_get_endianness on a little-endian
// host, run on the numbers as read: the recorded byte order, or for old
// deltas a heuristic (a part more than 20% larger than what it creates,
// or an average object over 4 GiB, means the numbers are byteswapped).
func (sb *Superblock) guessEndianness() (Endianness, bool) {
	if v, ok := sb.Metadata.Lookup(KeyEndianness); ok {
		if v.Type.Kind == 'y' {
			switch e := Endianness(v.Value.(byte)); e {
			case EndianLittle, EndianBig:
				return e, false
			}
		}
		return EndianInvalid, false
	}
	var size, objects uint64
	for _, p := range sb.Parts {
		objects += uint64(len(p.Objects))
		size += p.Size
		if p.Size > p.USize && float64(p.Size)/float64(p.USize) > 1.2 {
			return EndianBig, true
		}
	}
	if objects > 0 && size/objects > math.MaxUint32 {
		return EndianBig, true
	}
	return EndianInvalid, true
}

func parseObjects(b []byte) ([]object.Name, error) {
	if len(b)%objRecordLen != 0 {
		return nil, fmt.Errorf("Invalid checksum array length %d", len(b))
	}
	out := make([]object.Name, len(b)/objRecordLen)
	for i := range out {
		rec := b[i*objRecordLen:]
		out[i].Type = object.Type(rec[0])
		if err := validateObjType(out[i].Type); err != nil {
			return nil, err
		}
		copy(out[i].Checksum[:], rec[1:objRecordLen])
	}
	return out, nil
}

// validateObjType is ostree_validate_structureof_objtype: deltas carry
// only files, dirtrees, dirmetas and commits.
func validateObjType(t object.Type) error {
	if t < object.TypeFile || t > object.TypeCommit {
		return fmt.Errorf("Invalid object type '%d'", t)
	}
	return nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("delta superblock: %w: %s", errdefs.ErrCorrupt, fmt.Sprintf(format, args...))
}

func swap32(swap bool, v uint32) uint32 {
	if swap {
		return bits.ReverseBytes32(v)
	}
	return v
}

func swap64(swap bool, v uint64) uint64 {
	if swap {
		return bits.ReverseBytes64(v)
	}
	return v
}
