package gvariant

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// ErrNotNormal reports serialized data that is not in normal form.
var ErrNotNormal = errors.New("gvariant: not in normal form")

// maxDepth bounds nesting so that hostile variants cannot exhaust the stack.
const maxDepth = 128

// Unmarshal decodes data as type t. It is strict: anything that is not
// the normal-form serialization of the value it decodes to is rejected,
// so a decoded value always re-encodes to the same bytes.
func Unmarshal(t *Type, data []byte) (any, error) {
	v, err := decode(t, data, 0)
	if err != nil {
		return nil, err
	}
	again, err := Marshal(t, v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotNormal, err)
	}
	if !bytes.Equal(again, data) {
		return nil, fmt.Errorf("%w: %s value of %d bytes", ErrNotNormal, t, len(data))
	}
	return v, nil
}

func decode(t *Type, d []byte, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("gvariant: value nested too deeply")
	}
	if t.fixed != 0 && len(d) != t.fixed {
		return nil, fmt.Errorf("%w: %s needs %d bytes, has %d", ErrNotNormal, t, t.fixed, len(d))
	}
	switch t.Kind {
	case 'b':
		if d[0] > 1 {
			return nil, fmt.Errorf("%w: boolean byte %d", ErrNotNormal, d[0])
		}
		return d[0] == 1, nil
	case 'y':
		return d[0], nil
	case 'n':
		return int16(binary.LittleEndian.Uint16(d)), nil
	case 'q':
		return binary.LittleEndian.Uint16(d), nil
	case 'i':
		return int32(binary.LittleEndian.Uint32(d)), nil
	case 'u', 'h':
		return binary.LittleEndian.Uint32(d), nil
	case 'x':
		return int64(binary.LittleEndian.Uint64(d)), nil
	case 't':
		return binary.LittleEndian.Uint64(d), nil
	case 'd':
		return math.Float64frombits(binary.LittleEndian.Uint64(d)), nil
	case 's', 'o', 'g':
		return decodeString(d)
	case 'v':
		return decodeVariant(d, depth)
	case 'm':
		if len(d) == 0 {
			return Maybe{}, nil
		}
		child := d
		if t.Elem.fixed == 0 {
			if d[len(d)-1] != 0 {
				return nil, fmt.Errorf("%w: maybe without trailing zero", ErrNotNormal)
			}
			child = d[:len(d)-1]
		}
		v, err := decode(t.Elem, child, depth+1)
		if err != nil {
			return nil, err
		}
		return Maybe{Valid: true, Value: v}, nil
	case 'a':
		return decodeArray(t, d, depth)
	case '(', '{':
		fields, err := decodeTuple(t, d, depth)
		if err != nil {
			return nil, err
		}
		if t.Kind == '{' {
			return DictEntry{Key: fields[0], Value: fields[1]}, nil
		}
		return fields, nil
	}
	return nil, fmt.Errorf("gvariant: cannot decode type %s", t)
}

func decodeString(d []byte) (string, error) {
	if len(d) == 0 || d[len(d)-1] != 0 {
		return "", fmt.Errorf("%w: string without terminating NUL", ErrNotNormal)
	}
	s := d[:len(d)-1]
	if bytes.IndexByte(s, 0) >= 0 {
		return "", fmt.Errorf("%w: string with embedded NUL", ErrNotNormal)
	}
	if !utf8.Valid(s) {
		return "", fmt.Errorf("gvariant: string is not valid UTF-8")
	}
	return string(s), nil
}

func decodeVariant(d []byte, depth int) (Variant, error) {
	i := bytes.LastIndexByte(d, 0)
	if i < 0 {
		return Variant{}, fmt.Errorf("%w: variant without type separator", ErrNotNormal)
	}
	t, err := ParseType(string(d[i+1:]))
	if err != nil {
		return Variant{}, fmt.Errorf("variant type: %w", err)
	}
	v, err := decode(t, d[:i], depth+1)
	if err != nil {
		return Variant{}, err
	}
	return Variant{Type: t, Value: v}, nil
}

// offsetWidth is the framing-offset width readers derive from a
// container's size.
func offsetWidth(size int) int {
	switch {
	case size == 0:
		return 0
	case size <= math.MaxUint8:
		return 1
	case size <= math.MaxUint16:
		return 2
	case uint64(size) <= math.MaxUint32:
		return 4
	}
	return 8
}

func readOffset(d []byte, w int) uint64 {
	var o uint64
	for i := 0; i < w; i++ {
		o |= uint64(d[i]) << (8 * i)
	}
	return o
}

func decodeArray(t *Type, d []byte, depth int) (any, error) {
	if t.Elem.Kind == 'y' {
		return bytes.Clone(d), nil
	}
	if t.Elem.fixed != 0 {
		n := t.Elem.fixed
		if len(d)%n != 0 {
			return nil, fmt.Errorf("%w: %s of %d bytes", ErrNotNormal, t, len(d))
		}
		out := make([]any, 0, len(d)/n)
		for i := 0; i < len(d); i += n {
			v, err := decode(t.Elem, d[i:i+n], depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	if len(d) == 0 {
		return []any{}, nil
	}
	w := offsetWidth(len(d))
	if len(d) < w {
		return nil, fmt.Errorf("%w: %s too short", ErrNotNormal, t)
	}
	last := readOffset(d[len(d)-w:], w)
	if last > uint64(len(d)) || (uint64(len(d))-last)%uint64(w) != 0 {
		return nil, fmt.Errorf("%w: %s offset table out of range", ErrNotNormal, t)
	}
	n := (uint64(len(d)) - last) / uint64(w)
	if n == 0 {
		return nil, fmt.Errorf("%w: %s with empty offset table", ErrNotNormal, t)
	}
	table := d[last:]
	out := make([]any, 0, n)
	pos := uint64(0)
	for i := uint64(0); i < n; i++ {
		end := readOffset(table[i*uint64(w):], w)
		pos = uint64(alignUp(int(pos), t.Elem.align))
		if end < pos || end > last {
			return nil, fmt.Errorf("%w: %s element %d out of range", ErrNotNormal, t, i)
		}
		v, err := decode(t.Elem, d[pos:end], depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		pos = end
	}
	return out, nil
}

func decodeTuple(t *Type, d []byte, depth int) ([]any, error) {
	if len(t.Fields) == 0 {
		if len(d) != 1 || d[0] != 0 {
			return nil, fmt.Errorf("%w: unit tuple", ErrNotNormal)
		}
		return []any{}, nil
	}
	w := offsetWidth(len(d))
	nOffsets := 0
	for i, f := range t.Fields {
		if f.fixed == 0 && i != len(t.Fields)-1 {
			nOffsets++
		}
	}
	if nOffsets*w > len(d) {
		return nil, fmt.Errorf("%w: %s too short", ErrNotNormal, t)
	}
	bodyEnd := len(d) - nOffsets*w
	out := make([]any, len(t.Fields))
	pos, k := 0, 0
	for i, f := range t.Fields {
		pos = alignUp(pos, f.align)
		var end int
		switch {
		case f.fixed != 0:
			end = pos + f.fixed
		case i == len(t.Fields)-1:
			end = bodyEnd
		default:
			k++
			o := readOffset(d[len(d)-k*w:], w)
			if o > uint64(bodyEnd) {
				return nil, fmt.Errorf("%w: %s member %d out of range", ErrNotNormal, t, i)
			}
			end = int(o)
		}
		if pos > end || end > bodyEnd {
			return nil, fmt.Errorf("%w: %s member %d out of range", ErrNotNormal, t, i)
		}
		v, err := decode(f, d[pos:end], depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = v
		pos = end
	}
	return out, nil
}
