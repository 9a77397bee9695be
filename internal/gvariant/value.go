package gvariant

// Variant is a value of type v: a value boxed with its own type.
type Variant struct {
	Type  *Type
	Value any
}

// NewVariant boxes v with the type given as a string; it panics on an
// invalid type string, which is a programming error.
func NewVariant(typ string, v any) Variant { return Variant{Type: MustType(typ), Value: v} }

// DictEntry is one {key value} pair of a dictionary array.
type DictEntry struct {
	Key   any
	Value any
}

// Maybe is a value of a maybe type; Valid false means Nothing.
type Maybe struct {
	Valid bool
	Value any
}

// Lookup returns the variant stored under key in an a{sv} value.
func Lookup(dict []any, key string) (Variant, bool) {
	for _, e := range dict {
		de, ok := e.(DictEntry)
		if !ok {
			continue
		}
		if k, _ := de.Key.(string); k == key {
			v, ok := de.Value.(Variant)
			return v, ok
		}
	}
	return Variant{}, false
}
