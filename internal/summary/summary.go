package summary

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
)

// Well-known keys of the summary's additional metadata and of its per-ref
// metadata.
const (
	KeyStaticDeltas     = "ostree.static-deltas"
	KeyLastModified     = "ostree.summary.last-modified"
	KeyExpires          = "ostree.summary.expires"
	KeyCollectionID     = "ostree.summary.collection-id"
	KeyCollectionMap    = "ostree.summary.collection-map"
	KeyMode             = "ostree.summary.mode"
	KeyTombstoneCommits = "ostree.summary.tombstone-commits"
	KeyIndexedDeltas    = "ostree.summary.indexed-deltas"

	KeyCommitTimestamp = "ostree.commit.timestamp"
	KeyCommitVersion   = "ostree.commit.version"
)

// Type is the summary file's GVariant type.
var Type = gvariant.MustType("(a(s(taya{sv}))a{sv})")

// RefsType is the type of the ref list, at the top level and in the
// collection map.
var RefsType = gvariant.MustType("a(s(taya{sv}))")

// CollectionMapType is the type of ostree.summary.collection-map.
var CollectionMapType = gvariant.MustType("a{sa(s(taya{sv}))}")

// Summary is a summary file: refs sorted by name and additional metadata
// in stored order.
type Summary struct {
	Refs     []Ref
	Metadata object.Metadata
}

// Ref is one entry of a summary's ref list.
type Ref struct {
	Name string
	// CommitSize is the size of the commit object; clients use it only as
	// a download limit. It is stored in host order, little-endian in
	// practice, unlike ostree's other integers.
	CommitSize uint64
	Checksum   object.Checksum
	// Metadata holds ostree.commit.timestamp and ostree.commit.version.
	Metadata object.Metadata
}

// Timestamp returns the ref's ostree.commit.timestamp.
func (r *Ref) Timestamp() (uint64, bool) {
	v, ok := r.Metadata.Lookup(KeyCommitTimestamp)
	if !ok || v.Type.String() != "t" {
		return 0, false
	}
	return bits.ReverseBytes64(v.Value.(uint64)), true
}

// Version returns the ref's ostree.commit.version.
func (r *Ref) Version() (string, bool) { return r.Metadata.String(KeyCommitVersion) }

// ErrInvalid classifies summaries that do not parse.
var ErrInvalid = errors.New("summary: invalid summary")

// Marshal serializes a summary in normal form.
func Marshal(s *Summary) ([]byte, error) {
	b, err := gvariant.Marshal(Type, []any{refsValue(s.Refs), metaValue(s.Metadata)})
	if err != nil {
		return nil, fmt.Errorf("marshal summary: %w", err)
	}
	return b, nil
}

// Unmarshal parses a summary file.
func Unmarshal(b []byte) (*Summary, error) {
	v, err := gvariant.Unmarshal(Type, b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	f := v.([]any)
	refs, err := refsFromValue(f[0])
	if err != nil {
		return nil, err
	}
	return &Summary{Refs: refs, Metadata: metaFromValue(f[1])}, nil
}

func refsValue(refs []Ref) []any {
	out := make([]any, len(refs))
	for i, r := range refs {
		out[i] = []any{r.Name, []any{r.CommitSize, r.Checksum[:], metaValue(r.Metadata)}}
	}
	return out
}

func refsFromValue(v any) ([]Ref, error) {
	list := v.([]any)
	out := make([]Ref, 0, len(list))
	for _, e := range list {
		t := e.([]any)
		inner := t[1].([]any)
		c, err := object.ChecksumFromBytes(inner[1].([]byte))
		if err != nil {
			return nil, fmt.Errorf("%w: ref %s: %v", ErrInvalid, t[0], err)
		}
		out = append(out, Ref{
			Name:       t[0].(string),
			CommitSize: inner[0].(uint64),
			Checksum:   c,
			Metadata:   metaFromValue(inner[2]),
		})
	}
	return out, nil
}

func metaValue(m object.Metadata) []any {
	out := make([]any, len(m))
	for i, e := range m {
		out[i] = gvariant.DictEntry{Key: e.Key, Value: e.Value}
	}
	return out
}

func metaFromValue(v any) object.Metadata {
	list := v.([]any)
	out := make(object.Metadata, 0, len(list))
	for _, e := range list {
		de := e.(gvariant.DictEntry)
		out = append(out, object.MetaEntry{Key: de.Key.(string), Value: de.Value.(gvariant.Variant)})
	}
	return out
}

// Collection is the refs of one collection in the collection map.
type Collection struct {
	ID   string
	Refs []Ref
}

// CollectionID returns ostree.summary.collection-id, the collection of the
// top-level refs.
func (s *Summary) CollectionID() (string, bool) { return s.Metadata.String(KeyCollectionID) }

// Collections returns ostree.summary.collection-map in stored order.
func (s *Summary) Collections() ([]Collection, error) {
	v, ok := s.Metadata.Lookup(KeyCollectionMap)
	if !ok || v.Type.String() != CollectionMapType.String() {
		return nil, nil
	}
	var out []Collection
	for _, e := range v.Value.([]any) {
		de := e.(gvariant.DictEntry)
		refs, err := refsFromValue(de.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, Collection{ID: de.Key.(string), Refs: refs})
	}
	return out, nil
}

// collectionMapValue builds the collection map variant.
func collectionMapValue(cols []Collection) gvariant.Variant {
	out := make([]any, len(cols))
	for i, c := range cols {
		out[i] = gvariant.DictEntry{Key: c.ID, Value: refsValue(c.Refs)}
	}
	return gvariant.Variant{Type: CollectionMapType, Value: out}
}

// LastModified returns ostree.summary.last-modified in seconds.
func (s *Summary) LastModified() (uint64, bool) { return beUint64(s.Metadata, KeyLastModified) }

// Expires returns ostree.summary.expires in seconds.
func (s *Summary) Expires() (uint64, bool) { return beUint64(s.Metadata, KeyExpires) }

func beUint64(m object.Metadata, key string) (uint64, bool) {
	v, ok := m.Lookup(key)
	if !ok || v.Type.String() != "t" {
		return 0, false
	}
	return bits.ReverseBytes64(v.Value.(uint64)), true
}

// StaticDeltas returns ostree.static-deltas: delta name ("FROM-TO" or
// "TO", hex) to the sha256 of its superblock.
func (s *Summary) StaticDeltas() map[string][]byte {
	v, ok := s.Metadata.Lookup(KeyStaticDeltas)
	if !ok || v.Type.String() != "a{sv}" {
		return nil
	}
	out := map[string][]byte{}
	for _, e := range v.Value.([]any) {
		de := e.(gvariant.DictEntry)
		if iv := de.Value.(gvariant.Variant); iv.Type.String() == "ay" {
			out[de.Key.(string)] = iv.Value.([]byte)
		}
	}
	return out
}

// FindRef returns the top-level entry for name. Refs are sorted, so it
// binary-searches, as libostree's client does.
func (s *Summary) FindRef(name string) (*Ref, bool) {
	lo, hi := 0, len(s.Refs)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case s.Refs[m].Name == name:
			return &s.Refs[m], true
		case s.Refs[m].Name < name:
			lo = m + 1
		default:
			hi = m
		}
	}
	return nil, false
}
