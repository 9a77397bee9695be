package composefs

import (
	"fmt"
	"math"

	"github.com/gostree/gostree/internal/errdefs"
)

// Escaping in the dump format: \\ \n \r \t and \xHH. Printed fields
// hex-escape every byte that is not graphic ASCII (so a space too);
// xattr keys and values also escape '='; a payload or content that is a
// lone "-" is written \x2d so that it does not read as "none".
const (
	escStandard = 0
	escSpaceOK  = 1 << iota // ls: spaces are printed as is
	escEqual
	escLoneDash
)

func appendEscaped(out, s []byte, how int) []byte {
	if how&escLoneDash != 0 && len(s) == 1 && s[0] == '-' {
		return append(out, `\x2d`...)
	}
	const hexDigits = "0123456789abcdef"
	for _, c := range s {
		switch {
		case c == '\\':
			out = append(out, `\\`...)
		case c == '\n':
			out = append(out, `\n`...)
		case c == '\r':
			out = append(out, `\r`...)
		case c == '\t':
			out = append(out, `\t`...)
		case c == '=' && how&escEqual != 0,
			c > '~', c < ' ', c == ' ' && how&escSpaceOK == 0:
			out = append(out, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
		default:
			out = append(out, c)
		}
	}
	return out
}

// unescape decodes an escaped field.
func unescape(s []byte) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(s) {
			return nil, fmt.Errorf("%q: no character after escape: %w", s, errdefs.ErrInvalid)
		}
		switch s[i] {
		case '\\':
			out = append(out, '\\')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'x':
			if i+2 >= len(s) {
				return nil, fmt.Errorf("%q: short hex escape: %w", s, errdefs.ErrInvalid)
			}
			hi, lo := hexValue(s[i+1]), hexValue(s[i+2])
			if hi < 0 || lo < 0 {
				return nil, fmt.Errorf("%q: invalid hex escape: %w", s, errdefs.ErrInvalid)
			}
			out = append(out, byte(hi<<4|lo))
			i += 2
		default:
			return nil, fmt.Errorf("%q: unsupported escape \\%c: %w", s, s[i], errdefs.ErrInvalid)
		}
	}
	return out, nil
}

// unescapeOptional decodes a field where a lone "-" means none.
func unescapeOptional(s []byte) ([]byte, bool, error) {
	if len(s) == 1 && s[0] == '-' {
		return nil, false, nil
	}
	b, err := unescape(s)
	return b, err == nil, err
}

func hexValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// parseUint reads an integer field the way strtoull does in mkcomposefs:
// leading white space and a sign are allowed, a minus negates modulo
// 2^64, and too large a value saturates. The whole field must be used.
func parseUint(s []byte, base uint64) (uint64, error) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v uint64
	overflow := false
	for ; i < len(s); i++ {
		d := uint64(s[i] - '0')
		if s[i] < '0' || d >= base {
			break
		}
		if v > (math.MaxUint64-d)/base {
			overflow = true
		}
		v = v*base + d
	}
	if i == start || i != len(s) {
		return 0, fmt.Errorf("invalid integer %q: %w", s, errdefs.ErrInvalid)
	}
	if overflow {
		return math.MaxUint64, nil
	}
	if neg {
		v = -v
	}
	return v, nil
}

// Escape escapes s the way dump fields are printed.
func Escape(s string) string { return string(appendEscaped(nil, []byte(s), escStandard)) }

// EscapeLs escapes a path the way composefs-info ls prints it: like
// Escape, but spaces stay.
func EscapeLs(s string) string { return string(appendEscaped(nil, []byte(s), escSpaceOK)) }
