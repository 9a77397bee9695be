package gvariant

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// Marshal serializes v as type t in normal form.
func Marshal(t *Type, v any) ([]byte, error) {
	return AppendValue(nil, t, v)
}

// MustMarshal is Marshal for values built by the program itself, where an
// encoding failure is a bug.
func MustMarshal(t *Type, v any) []byte {
	b, err := Marshal(t, v)
	if err != nil {
		panic(err)
	}
	return b
}

// AppendValue appends the serialization of v to buf. buf's length must be
// a multiple of t's alignment, as containers start aligned.
func AppendValue(buf []byte, t *Type, v any) ([]byte, error) {
	return appendValue(buf, len(buf), t, v)
}

// appendValue writes v at the end of buf; start is where the enclosing
// container begins, since alignment is relative to it.
func appendValue(buf []byte, start int, t *Type, v any) ([]byte, error) {
	switch t.Kind {
	case 'b':
		x, ok := v.(bool)
		if !ok {
			return nil, typeErr(t, v)
		}
		if x {
			return append(buf, 1), nil
		}
		return append(buf, 0), nil
	case 'y':
		x, ok := v.(byte)
		if !ok {
			return nil, typeErr(t, v)
		}
		return append(buf, x), nil
	case 'n':
		x, ok := v.(int16)
		if !ok {
			return nil, typeErr(t, v)
		}
		return binary.LittleEndian.AppendUint16(buf, uint16(x)), nil
	case 'q':
		x, ok := v.(uint16)
		if !ok {
			return nil, typeErr(t, v)
		}
		return binary.LittleEndian.AppendUint16(buf, x), nil
	case 'i':
		x, ok := v.(int32)
		if !ok {
			return nil, typeErr(t, v)
		}
		return binary.LittleEndian.AppendUint32(buf, uint32(x)), nil
	case 'u', 'h':
		x, ok := v.(uint32)
		if !ok {
			return nil, typeErr(t, v)
		}
		return binary.LittleEndian.AppendUint32(buf, x), nil
	case 'x':
		x, ok := v.(int64)
		if !ok {
			return nil, typeErr(t, v)
		}
		return binary.LittleEndian.AppendUint64(buf, uint64(x)), nil
	case 't':
		x, ok := v.(uint64)
		if !ok {
			return nil, typeErr(t, v)
		}
		return binary.LittleEndian.AppendUint64(buf, x), nil
	case 'd':
		x, ok := v.(float64)
		if !ok {
			return nil, typeErr(t, v)
		}
		return binary.LittleEndian.AppendUint64(buf, math.Float64bits(x)), nil
	case 's', 'o', 'g':
		x, ok := v.(string)
		if !ok {
			return nil, typeErr(t, v)
		}
		if !validString(x) {
			return nil, fmt.Errorf("gvariant: string %q is not valid UTF-8 without NUL", x)
		}
		buf = append(buf, x...)
		return append(buf, 0), nil
	case 'v':
		x, ok := v.(Variant)
		if !ok || x.Type == nil {
			return nil, typeErr(t, v)
		}
		// The child starts at offset 0 of the variant, which is 8-aligned.
		cstart := len(buf)
		buf, err := appendValue(buf, cstart, x.Type, x.Value)
		if err != nil {
			return nil, err
		}
		buf = append(buf, 0)
		return append(buf, x.Type.str...), nil
	case 'm':
		x, ok := v.(Maybe)
		if !ok {
			return nil, typeErr(t, v)
		}
		if !x.Valid {
			return buf, nil
		}
		buf, err := appendValue(buf, len(buf), t.Elem, x.Value)
		if err != nil {
			return nil, err
		}
		if t.Elem.fixed == 0 {
			buf = append(buf, 0)
		}
		return buf, nil
	case 'a':
		return appendArray(buf, t, v)
	case '(', '{':
		var fields []any
		switch x := v.(type) {
		case []any:
			fields = x
		case DictEntry:
			fields = []any{x.Key, x.Value}
		default:
			return nil, typeErr(t, v)
		}
		return appendTuple(buf, t, fields)
	}
	return nil, fmt.Errorf("gvariant: cannot encode type %s", t)
}

func appendArray(buf []byte, t *Type, v any) ([]byte, error) {
	if t.Elem.Kind == 'y' {
		x, ok := v.([]byte)
		if !ok {
			return nil, typeErr(t, v)
		}
		return append(buf, x...), nil
	}
	elems, err := arrayElems(t, v)
	if err != nil {
		return nil, err
	}
	start := len(buf)
	if t.Elem.fixed != 0 {
		for _, e := range elems {
			buf = pad(buf, start, t.Elem.align)
			if buf, err = appendValue(buf, start, t.Elem, e); err != nil {
				return nil, err
			}
		}
		return buf, nil
	}
	ends := make([]int, 0, len(elems))
	for _, e := range elems {
		buf = pad(buf, start, t.Elem.align)
		if buf, err = appendValue(buf, start, t.Elem, e); err != nil {
			return nil, err
		}
		ends = append(ends, len(buf)-start)
	}
	return appendOffsets(buf, start, ends), nil
}

// arrayElems accepts []any and the common typed slices for convenience.
func arrayElems(t *Type, v any) ([]any, error) {
	switch x := v.(type) {
	case []any:
		return x, nil
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	case [][]byte:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	case []DictEntry:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	}
	return nil, typeErr(t, v)
}

func appendTuple(buf []byte, t *Type, fields []any) ([]byte, error) {
	if len(fields) != len(t.Fields) {
		return nil, fmt.Errorf("gvariant: tuple %s needs %d members, got %d", t, len(t.Fields), len(fields))
	}
	start := len(buf)
	if len(fields) == 0 {
		return append(buf, 0), nil
	}
	var ends []int
	var err error
	for i, f := range t.Fields {
		buf = pad(buf, start, f.align)
		if buf, err = appendValue(buf, start, f, fields[i]); err != nil {
			return nil, err
		}
		if f.fixed == 0 && i != len(fields)-1 {
			ends = append(ends, len(buf)-start)
		}
	}
	if t.fixed != 0 {
		return pad(buf, start, t.align), nil
	}
	// Tuple offsets are stored in reverse member order.
	for i, j := 0, len(ends)-1; i < j; i, j = i+1, j-1 {
		ends[i], ends[j] = ends[j], ends[i]
	}
	return appendOffsets(buf, start, ends), nil
}

// appendOffsets appends framing offsets with the smallest width that can
// address the whole container, as normal form requires.
func appendOffsets(buf []byte, start int, offs []int) []byte {
	body := len(buf) - start
	w := offsetWidthFor(body, len(offs))
	for _, o := range offs {
		buf = putOffset(buf, w, uint64(o))
	}
	return buf
}

func offsetWidthFor(body, n int) int {
	switch {
	case n == 0:
		return 0
	case body+n <= math.MaxUint8:
		return 1
	case body+2*n <= math.MaxUint16:
		return 2
	case uint64(body)+4*uint64(n) <= math.MaxUint32:
		return 4
	}
	return 8
}

func putOffset(buf []byte, w int, o uint64) []byte {
	for i := 0; i < w; i++ {
		buf = append(buf, byte(o>>(8*i)))
	}
	return buf
}

func pad(buf []byte, start, align int) []byte {
	for (len(buf)-start)%align != 0 {
		buf = append(buf, 0)
	}
	return buf
}

func validString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return false
		}
	}
	return utf8.ValidString(s)
}

func typeErr(t *Type, v any) error {
	return fmt.Errorf("gvariant: cannot encode %T as %s", v, t)
}
