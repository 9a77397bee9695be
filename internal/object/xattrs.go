package object

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/gostree/gostree/internal/gvariant"
)

// Xattr is one extended attribute. Name excludes the NUL that the
// serialized form carries.
type Xattr struct {
	Name  string
	Value []byte
}

// Xattrs is a set of extended attributes in canonical (strcmp) order.
type Xattrs []Xattr

// Canonical returns the set sorted by name with empty values dropped,
// as libostree reads xattrs from a filesystem.
func (x Xattrs) Canonical() Xattrs {
	out := make(Xattrs, 0, len(x))
	for _, a := range x {
		if len(a.Value) > 0 {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns the value of the named attribute.
func (x Xattrs) Get(name string) ([]byte, bool) {
	for _, a := range x {
		if a.Name == name {
			return a.Value, true
		}
	}
	return nil, false
}

// Equal reports whether both sets hold the same attributes in order.
func (x Xattrs) Equal(y Xattrs) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i].Name != y[i].Name || !bytes.Equal(x[i].Value, y[i].Value) {
			return false
		}
	}
	return true
}

// XattrsType is the serialized type a(ayay).
var XattrsType = gvariant.MustType("a(ayay)")

func (x Xattrs) value() []any {
	out := make([]any, len(x))
	for i, a := range x {
		name := make([]byte, len(a.Name)+1)
		copy(name, a.Name)
		out[i] = []any{name, a.Value}
	}
	return out
}

func xattrsFromValue(v any) (Xattrs, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("xattrs: unexpected %T", v)
	}
	out := make(Xattrs, 0, len(list))
	for _, e := range list {
		pair := e.([]any)
		name, value := pair[0].([]byte), pair[1].([]byte)
		if len(name) == 0 || name[len(name)-1] != 0 || bytes.IndexByte(name[:len(name)-1], 0) >= 0 {
			return nil, fmt.Errorf("xattr name %q is not a NUL-terminated bytestring", name)
		}
		out = append(out, Xattr{Name: string(name[:len(name)-1]), Value: value})
	}
	return out, nil
}

// MarshalXattrs serializes a set as a(ayay), for the bare-split-xattrs
// objects and delta payloads.
func MarshalXattrs(x Xattrs) []byte {
	return gvariant.MustMarshal(XattrsType, x.value())
}

// UnmarshalXattrs parses a(ayay).
func UnmarshalXattrs(b []byte) (Xattrs, error) {
	v, err := gvariant.Unmarshal(XattrsType, b)
	if err != nil {
		return nil, err
	}
	return xattrsFromValue(v)
}
