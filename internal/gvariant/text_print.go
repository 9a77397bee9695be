package gvariant

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Print formats v, a value of type t, in the GVariant text format exactly
// as GLib 2.74's g_variant_print(value, typeAnnotate) does. With
// typeAnnotate the output parses back to the same type and value, except
// for subnormal doubles, which GLib's own parser rejects.
//
// v must be a value that Marshal accepts for t; Print panics otherwise, as
// MustMarshal does. Use AppendText to get an error instead.
func Print(t *Type, v any, typeAnnotate bool) string {
	b, err := AppendText(nil, t, v, typeAnnotate)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// AppendText appends the text form of v, a value of type t, to dst, as
// Print does, and reports values that do not match t.
func AppendText(dst []byte, t *Type, v any, typeAnnotate bool) ([]byte, error) {
	return appendText(dst, t, v, typeAnnotate, 0)
}

func appendText(b []byte, t *Type, v any, annotate bool, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("gvariant: value nested too deeply")
	}
	switch t.Kind {
	case 'b':
		x, ok := v.(bool)
		if !ok {
			return nil, printTypeErr(t, v)
		}
		if x {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case 'y':
		x, ok := v.(byte)
		if !ok {
			return nil, printTypeErr(t, v)
		}
		if annotate {
			b = append(b, "byte "...)
		}
		return fmt.Appendf(b, "0x%02x", x), nil
	case 'n':
		x, ok := v.(int16)
		if !ok {
			return nil, printTypeErr(t, v)
		}
		return appendInt(b, annotate, "int16 ", int64(x)), nil
	case 'q':
		x, ok := v.(uint16)
		if !ok {
			return nil, printTypeErr(t, v)
		}
		return appendUint(b, annotate, "uint16 ", uint64(x)), nil
	case 'i':
		x, ok := v.(int32)
		if !ok {
			return nil, printTypeErr(t, v)
		}
		// int32 is the default for numbers, so GLib never annotates it.
		return appendInt(b, false, "", int64(x)), nil
	case 'h':
		x, ok := v.(uint32)
		if !ok {
			return nil, printTypeErr(t, v)
		}
		// GLib's handles are gint32 and print signed.
		return appendInt(b, annotate, "handle ", int64(int32(x))), nil
	case 'u':
		x, ok := v.(uint32)
		if !ok {
			return nil, printTypeErr(t, v)
		}
		return appendUint(b, annotate, "uint32 ", uint64(x)), nil
	case 'x':
		x, ok := v.(int64)
		if !ok {
			return nil, printTypeErr(t, v)
		}
		return appendInt(b, annotate, "int64 ", x), nil
	case 't':
		x, ok := v.(uint64)
		if !ok {
			return nil, printTypeErr(t, v)
		}
		return appendUint(b, annotate, "uint64 ", x), nil
	case 'd':
		x, ok := v.(float64)
		if !ok {
			return nil, printTypeErr(t, v)
		}
		return appendDouble(b, x), nil
	case 's':
		x, ok := v.(string)
		if !ok || !validString(x) {
			return nil, printTypeErr(t, v)
		}
		return appendQuoted(b, x), nil
	case 'o', 'g':
		x, ok := v.(string)
		if !ok || !validString(x) {
			return nil, printTypeErr(t, v)
		}
		if annotate {
			if t.Kind == 'o' {
				b = append(b, "objectpath "...)
			} else {
				b = append(b, "signature "...)
			}
		}
		// GLib prints object paths and signatures unescaped: valid ones
		// hold no quotes or backslashes.
		b = append(b, '\'')
		b = append(b, x...)
		return append(b, '\''), nil
	case 'v':
		x, ok := v.(Variant)
		if !ok || x.Type == nil {
			return nil, printTypeErr(t, v)
		}
		// Variants always annotate their contents, whose type varies.
		b = append(b, '<')
		b, err := appendText(b, x.Type, x.Value, true, depth+1)
		if err != nil {
			return nil, err
		}
		return append(b, '>'), nil
	case 'm':
		return appendMaybeText(b, t, v, annotate, depth)
	case 'a':
		return appendArrayText(b, t, v, annotate, depth)
	case '(':
		fields, ok := v.([]any)
		if !ok || len(fields) != len(t.Fields) {
			return nil, printTypeErr(t, v)
		}
		b = append(b, '(')
		for i, f := range t.Fields {
			var err error
			if b, err = appendText(b, f, fields[i], annotate, depth+1); err != nil {
				return nil, err
			}
			// One member keeps its comma, as in (1,).
			if i < len(t.Fields)-1 || i == 0 {
				b = append(b, ',')
			}
			if i < len(t.Fields)-1 {
				b = append(b, ' ')
			}
		}
		return append(b, ')'), nil
	case '{':
		de, ok := dictEntry(v)
		if !ok {
			return nil, printTypeErr(t, v)
		}
		b = append(b, '{')
		b, err := appendText(b, t.Fields[0], de.Key, annotate, depth+1)
		if err != nil {
			return nil, err
		}
		b = append(b, ", "...)
		if b, err = appendText(b, t.Fields[1], de.Value, annotate, depth+1); err != nil {
			return nil, err
		}
		return append(b, '}'), nil
	}
	return nil, fmt.Errorf("gvariant: cannot print type %s", t)
}

// appendMaybeText writes just-values without "just" where that is
// unambiguous: only a Nothing nested inside Justs needs the keywords.
func appendMaybeText(b []byte, t *Type, v any, annotate bool, depth int) ([]byte, error) {
	x, ok := v.(Maybe)
	if !ok {
		return nil, printTypeErr(t, v)
	}
	if annotate {
		b = append(b, '@')
		b = append(b, t.str...)
		b = append(b, ' ')
	}
	if !x.Valid {
		return append(b, "nothing"...), nil
	}
	// GLib 2.74 prints the child unannotated and adds "just" when the
	// child's text ends in "nothing".
	child, err := appendText(nil, t.Elem, x.Value, false, depth+1)
	if err != nil {
		return nil, err
	}
	if bytes.HasSuffix(child, []byte("nothing")) {
		b = append(b, "just "...)
	}
	return append(b, child...), nil
}

func appendArrayText(b []byte, t *Type, v any, annotate bool, depth int) ([]byte, error) {
	if t.Elem.Kind == 'y' {
		x, ok := v.([]byte)
		if !ok {
			return nil, printTypeErr(t, v)
		}
		// A byte string is printed as one when its only NUL is the last byte.
		if i := bytes.IndexByte(x, 0); i >= 0 && i == len(x)-1 {
			return appendByteString(b, x[:i]), nil
		}
		if len(x) == 0 {
			return appendEmpty(b, t, annotate, "[]"), nil
		}
		b = append(b, '[')
		for i, c := range x {
			if i > 0 {
				b = append(b, ", "...)
			}
			if annotate && i == 0 {
				b = append(b, "byte "...)
			}
			b = fmt.Appendf(b, "0x%02x", c)
		}
		return append(b, ']'), nil
	}
	elems, err := arrayElems(t, v)
	if err != nil {
		return nil, printTypeErr(t, v)
	}
	if t.Elem.Kind == '{' {
		if len(elems) == 0 {
			return appendEmpty(b, t, annotate, "{}"), nil
		}
		b = append(b, '{')
		for i, e := range elems {
			de, ok := dictEntry(e)
			if !ok {
				return nil, printTypeErr(t.Elem, e)
			}
			if i > 0 {
				b = append(b, ", "...)
			}
			// Only the first entry is annotated, as in GLib.
			a := annotate && i == 0
			if b, err = appendText(b, t.Elem.Fields[0], de.Key, a, depth+2); err != nil {
				return nil, err
			}
			b = append(b, ": "...)
			if b, err = appendText(b, t.Elem.Fields[1], de.Value, a, depth+2); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	if len(elems) == 0 {
		return appendEmpty(b, t, annotate, "[]"), nil
	}
	b = append(b, '[')
	for i, e := range elems {
		if i > 0 {
			b = append(b, ", "...)
		}
		if b, err = appendText(b, t.Elem, e, annotate && i == 0, depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

func appendEmpty(b []byte, t *Type, annotate bool, text string) []byte {
	if annotate {
		b = append(b, '@')
		b = append(b, t.str...)
		b = append(b, ' ')
	}
	return append(b, text...)
}

func dictEntry(v any) (DictEntry, bool) {
	switch x := v.(type) {
	case DictEntry:
		return x, true
	case []any:
		if len(x) == 2 {
			return DictEntry{Key: x[0], Value: x[1]}, true
		}
	}
	return DictEntry{}, false
}

func appendInt(b []byte, annotate bool, keyword string, x int64) []byte {
	if annotate {
		b = append(b, keyword...)
	}
	return strconv.AppendInt(b, x, 10)
}

func appendUint(b []byte, annotate bool, keyword string, x uint64) []byte {
	if annotate {
		b = append(b, keyword...)
	}
	return strconv.AppendUint(b, x, 10)
}

// appendDouble writes x as g_ascii_dtostr does ("%.17g", which is not the
// shortest round-tripping form: 0.1 prints as 0.10000000000000001), then
// adds ".0" when the result would otherwise read as an integer.
func appendDouble(b []byte, x float64) []byte {
	switch {
	case math.IsNaN(x):
		if math.Signbit(x) {
			return append(b, "-nan"...)
		}
		return append(b, "nan"...)
	case math.IsInf(x, 1):
		return append(b, "inf"...)
	case math.IsInf(x, -1):
		return append(b, "-inf"...)
	}
	start := len(b)
	// Go's %.17g agrees with C's for finite values: same switch to the
	// exponent form, trailing zeros dropped, two-digit exponents.
	b = strconv.AppendFloat(b, x, 'g', 17, 64)
	if bytes.IndexAny(b[start:], ".e") < 0 {
		b = append(b, ".0"...)
	}
	return b
}

// appendQuoted writes a string constant as GLib does: single quotes
// unless the string holds a single quote, backslash before the quote
// character and backslash, C escapes or \uXXXX / \UXXXXXXXX for every
// character g_unichar_isprint rejects.
func appendQuoted(b []byte, s string) []byte {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 {
		quote = '"'
	}
	b = append(b, quote)
	for _, r := range s {
		if r == rune(quote) || r == '\\' {
			b = append(b, '\\')
		}
		if isPrint(r) {
			b = utf8.AppendRune(b, r)
			continue
		}
		b = append(b, '\\')
		switch {
		case r == '\a':
			b = append(b, 'a')
		case r == '\b':
			b = append(b, 'b')
		case r == '\f':
			b = append(b, 'f')
		case r == '\n':
			b = append(b, 'n')
		case r == '\r':
			b = append(b, 'r')
		case r == '\t':
			b = append(b, 't')
		case r == '\v':
			b = append(b, 'v')
		case r < 0x10000:
			b = fmt.Appendf(b, "u%04x", r)
		default:
			b = fmt.Appendf(b, "U%08x", r)
		}
	}
	return append(b, quote)
}

// isPrint is g_unichar_isprint: every character except controls, format
// characters, surrogates and unassigned code points. GLib 2.74 and Go
// both use Unicode 15.0, and the two agree on every code point.
func isPrint(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.Co)
}

// appendByteString writes the bytes before the terminating NUL as
// b'...' using g_strescape's escapes, which leave single quotes alone:
// GLib switches to b"..." when one is present.
func appendByteString(b []byte, s []byte) []byte {
	quote := byte('\'')
	if bytes.IndexByte(s, '\'') >= 0 {
		quote = '"'
	}
	b = append(b, 'b', quote)
	for _, c := range s {
		switch c {
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\v':
			b = append(b, '\\', 'v')
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		default:
			if c < ' ' || c >= 0o177 {
				b = append(b, '\\', '0'+(c>>6)&7, '0'+(c>>3)&7, '0'+c&7)
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, quote)
}

func printTypeErr(t *Type, v any) error {
	return fmt.Errorf("gvariant: cannot print %T as %s", v, t)
}
