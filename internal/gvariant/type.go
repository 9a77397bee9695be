package gvariant

import (
	"fmt"
	"strings"
)

// Type is a parsed, definite GVariant type.
type Type struct {
	Kind   byte    // the type code: 'b', 's', 'a', 'm', '(', '{', 'v', ...
	Elem   *Type   // element type of arrays and maybes
	Fields []*Type // members of tuples and dict entries
	str    string
	align  int
	fixed  int // fixed size in bytes, 0 when variable
}

// String returns the type string.
func (t *Type) String() string { return t.str }

// Align is the alignment of the type in bytes.
func (t *Type) Align() int { return t.align }

// FixedSize is the serialized size of a fixed-size type, or 0.
func (t *Type) FixedSize() int { return t.fixed }

// MustType parses a type string and panics when it is invalid; for
// compile-time constant type strings.
func MustType(s string) *Type {
	t, err := ParseType(s)
	if err != nil {
		panic(err)
	}
	return t
}

// ParseType parses a single complete definite type string.
func ParseType(s string) (*Type, error) {
	t, rest, err := parseType(s, 0)
	if err != nil {
		return nil, err
	}
	if rest != "" {
		return nil, fmt.Errorf("gvariant: trailing characters %q in type %q", rest, s)
	}
	return t, nil
}

const maxTypeDepth = 64

func parseType(s string, depth int) (*Type, string, error) {
	if depth > maxTypeDepth {
		return nil, "", fmt.Errorf("gvariant: type nested too deeply")
	}
	if s == "" {
		return nil, "", fmt.Errorf("gvariant: incomplete type")
	}
	c := s[0]
	switch c {
	case 'b', 'y':
		return basic(c, 1, 1), s[1:], nil
	case 'n', 'q':
		return basic(c, 2, 2), s[1:], nil
	case 'i', 'u', 'h':
		return basic(c, 4, 4), s[1:], nil
	case 'x', 't', 'd':
		return basic(c, 8, 8), s[1:], nil
	case 's', 'o', 'g':
		return basic(c, 1, 0), s[1:], nil
	case 'v':
		return basic(c, 8, 0), s[1:], nil
	case 'a', 'm':
		e, rest, err := parseType(s[1:], depth+1)
		if err != nil {
			return nil, "", err
		}
		return &Type{Kind: c, Elem: e, str: string(c) + e.str, align: e.align}, rest, nil
	case '(':
		rest := s[1:]
		var fields []*Type
		for {
			if rest == "" {
				return nil, "", fmt.Errorf("gvariant: unterminated tuple type %q", s)
			}
			if rest[0] == ')' {
				rest = rest[1:]
				break
			}
			f, r, err := parseType(rest, depth+1)
			if err != nil {
				return nil, "", err
			}
			fields = append(fields, f)
			rest = r
		}
		return newTuple('(', fields), rest, nil
	case '{':
		k, rest, err := parseType(s[1:], depth+1)
		if err != nil {
			return nil, "", err
		}
		if !strings.ContainsRune("bynqiuhxtdsog", rune(k.Kind)) {
			return nil, "", fmt.Errorf("gvariant: dict entry key must be basic in %q", s)
		}
		v, rest, err := parseType(rest, depth+1)
		if err != nil {
			return nil, "", err
		}
		if rest == "" || rest[0] != '}' {
			return nil, "", fmt.Errorf("gvariant: unterminated dict entry type %q", s)
		}
		return newTuple('{', []*Type{k, v}), rest[1:], nil
	}
	return nil, "", fmt.Errorf("gvariant: invalid type character %q", c)
}

func basic(c byte, align, fixed int) *Type {
	return &Type{Kind: c, str: string(c), align: align, fixed: fixed}
}

func newTuple(kind byte, fields []*Type) *Type {
	t := &Type{Kind: kind, Fields: fields, align: 1}
	var b strings.Builder
	if kind == '(' {
		b.WriteByte('(')
	} else {
		b.WriteByte('{')
	}
	fixed := true
	off := 0
	for _, f := range fields {
		b.WriteString(f.str)
		if f.align > t.align {
			t.align = f.align
		}
		if f.fixed == 0 {
			fixed = false
		} else {
			off = alignUp(off, f.align) + f.fixed
		}
	}
	if kind == '(' {
		b.WriteByte(')')
	} else {
		b.WriteByte('}')
	}
	t.str = b.String()
	if fixed {
		if len(fields) == 0 {
			t.fixed = 1
		} else {
			t.fixed = alignUp(off, t.align)
		}
	}
	return t
}

func alignUp(n, a int) int { return (n + a - 1) &^ (a - 1) }
