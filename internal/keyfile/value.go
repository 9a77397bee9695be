package keyfile

import (
	"fmt"
	"strconv"
	"strings"
)

// String returns the value of key in group with GLib's escapes undone:
// \s space, \n newline, \t tab, \r carriage return, \\ backslash. Like
// GLib 2.74 it keeps an unknown escape such as \x as it is and drops a
// backslash at the end, where GLib also reports an error. ok is false if
// the group or key is missing.
func (f *File) String(group, key string) (string, bool) {
	raw, ok := f.Value(group, key)
	if !ok {
		return "", false
	}
	s, _ := unescape(raw, false)
	return s, true
}

// SetString sets key in group to s, escaped as g_key_file_set_string does:
// newline, carriage return and backslash always, and spaces and tabs at
// the start of the value. It panics as SetValue does on bad names, or if s
// contains a NUL byte.
func (f *File) SetString(group, key, s string) {
	if strings.IndexByte(s, 0) >= 0 {
		panic(fmt.Sprintf("keyfile: value for key %q in group %q contains a nul byte", key, group))
	}
	f.set(group, key, escape(s, false))
}

// Bool returns the boolean value of key in group, or def if the group or
// key is missing. Like g_key_file_get_boolean it accepts "true", "1",
// "false" and "0", followed by optional whitespace; anything else is an
// error.
func (f *File) Bool(group, key string, def bool) (bool, error) {
	raw, ok := f.Value(group, key)
	if !ok {
		return def, nil
	}
	switch strings.TrimRight(raw, asciiSpace) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("key %q in group %q: value %q is not a boolean", key, group, raw)
}

// SetBool sets key in group to "true" or "false".
func (f *File) SetBool(group, key string, v bool) {
	f.set(group, key, strconv.FormatBool(v))
}

// Int returns the integer value of key in group, or def if the group or
// key is missing. Like g_key_file_get_int64 it takes a decimal number with
// an optional sign and leading whitespace, and nothing after it. Unlike
// GLib, which clamps, a number out of the int64 range is an error.
func (f *File) Int(group, key string, def int64) (int64, error) {
	raw, ok := f.Value(group, key)
	if !ok {
		return def, nil
	}
	s := strings.TrimLeft(raw, asciiSpace)
	digits := strings.TrimLeft(s, "+-")
	if len(s)-len(digits) > 1 || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, fmt.Errorf("key %q in group %q: value %q is not an integer", key, group, raw)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("key %q in group %q: value %q is out of range", key, group, raw)
	}
	return v, nil
}

// StringList returns the value of key in group split at each ";" that is
// not escaped as "\;", with escapes undone as by String. A ";" at the end
// ends the last element rather than starting an empty one, so "a;b;" and
// "a;b" both give [a b], and "" gives an empty list. ok is false if the
// group or key is missing.
func (f *File) StringList(group, key string) ([]string, bool) {
	raw, ok := f.Value(group, key)
	if !ok {
		return nil, false
	}
	_, list := unescape(raw, true)
	return list, true
}

// SetStringList sets key in group to the list v as
// g_key_file_set_string_list does: each element escaped as by SetString,
// with ";" escaped as "\;", and followed by ";". It panics as SetString
// does.
func (f *File) SetStringList(group, key string, v []string) {
	var b strings.Builder
	for _, s := range v {
		if strings.IndexByte(s, 0) >= 0 {
			panic(fmt.Sprintf("keyfile: list element for key %q in group %q contains a nul byte", key, group))
		}
		b.WriteString(escape(s, true))
		b.WriteByte(';')
	}
	f.set(group, key, b.String())
}

// escape is g_key_file_parse_string_as_value. In a list element a ";" is
// escaped too, and spaces after it count as leading again.
func escape(s string, list bool) string {
	var b strings.Builder
	leading := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ':
			if leading {
				b.WriteString(`\s`)
			} else {
				b.WriteByte(c)
			}
		case '\t':
			if leading {
				b.WriteString(`\t`)
			} else {
				b.WriteByte(c)
			}
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\\':
			b.WriteString(`\\`)
			leading = false
		default:
			if list && c == ';' {
				b.WriteString(`\;`)
				leading = true
			} else {
				b.WriteByte(c)
				leading = false
			}
		}
	}
	return b.String()
}

// unescape is g_key_file_parse_value_as_string: it returns raw unescaped
// and, when list is set, also split into elements. An element after the
// last ";" counts only if it is not empty.
func unescape(raw string, list bool) (string, []string) {
	var b strings.Builder
	var elems []string
	start := 0 // where the current element starts in b
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			if list && c == ';' {
				elems = append(elems, b.String()[start:])
				start = b.Len() + 1
			}
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(raw) {
			break // GLib: "escape character at end of line"
		}
		switch c = raw[i]; c {
		case 's':
			b.WriteByte(' ')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\':
			b.WriteByte('\\')
		default:
			if !list || c != ';' {
				b.WriteByte('\\') // GLib: "invalid escape sequence"
			}
			b.WriteByte(c)
		}
	}
	s := b.String()
	if list {
		if start < len(s) {
			elems = append(elems, s[start:])
		}
		if elems == nil {
			elems = []string{}
		}
	}
	return s, elems
}
