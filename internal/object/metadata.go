package object

import (
	"fmt"

	"github.com/gostree/gostree/internal/gvariant"
)

// Metadata is an a{sv} dictionary in its stored order (libostree does
// not sort it, so order is kept as read).
type Metadata []MetaEntry

// MetaEntry is one key of a Metadata dictionary.
type MetaEntry struct {
	Key   string
	Value gvariant.Variant
}

// MetadataType is a{sv}.
var MetadataType = gvariant.MustType("a{sv}")

// Lookup returns the value under key.
func (m Metadata) Lookup(key string) (gvariant.Variant, bool) {
	for _, e := range m {
		if e.Key == key {
			return e.Value, true
		}
	}
	return gvariant.Variant{}, false
}

// String returns a string-typed value.
func (m Metadata) String(key string) (string, bool) {
	v, ok := m.Lookup(key)
	if !ok || v.Type.Kind != 's' {
		return "", false
	}
	return v.Value.(string), true
}

// Set replaces key's value, or appends it.
func (m *Metadata) Set(key string, v gvariant.Variant) {
	for i := range *m {
		if (*m)[i].Key == key {
			(*m)[i].Value = v
			return
		}
	}
	*m = append(*m, MetaEntry{key, v})
}

// Delete removes key.
func (m *Metadata) Delete(key string) {
	out := (*m)[:0]
	for _, e := range *m {
		if e.Key != key {
			out = append(out, e)
		}
	}
	*m = out
}

func (m Metadata) value() []any {
	out := make([]any, len(m))
	for i, e := range m {
		out[i] = gvariant.DictEntry{Key: e.Key, Value: e.Value}
	}
	return out
}

func metadataFromValue(v any) (Metadata, error) {
	list := v.([]any)
	out := make(Metadata, 0, len(list))
	for _, e := range list {
		de := e.(gvariant.DictEntry)
		k := de.Key.(string)
		if k == "" {
			return nil, fmt.Errorf("metadata has an empty key")
		}
		out = append(out, MetaEntry{k, de.Value.(gvariant.Variant)})
	}
	return out, nil
}

// MarshalMetadata serializes an a{sv}, as detached metadata is stored.
func MarshalMetadata(m Metadata) ([]byte, error) {
	return gvariant.Marshal(MetadataType, m.value())
}

// UnmarshalMetadata parses an a{sv}.
func UnmarshalMetadata(b []byte) (Metadata, error) {
	v, err := gvariant.Unmarshal(MetadataType, b)
	if err != nil {
		return nil, err
	}
	return metadataFromValue(v)
}
