package keyfile

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Load reads and parses the key file at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load keyfile: %w", err)
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("load keyfile %s: %w", path, err)
	}
	return f, nil
}

// Parse parses a key file the way g_key_file_load_from_data does with
// G_KEY_FILE_KEEP_COMMENTS and G_KEY_FILE_KEEP_TRANSLATIONS:
//
//   - Lines end in "\n" or "\r\n"; the last line may lack its end.
//     Whitespace means g_ascii_isspace: space, \t, \n, \f and \r.
//   - A line that is blank, only whitespace, or starts with "#" after
//     leading whitespace is kept verbatim as a comment.
//   - "[name]" starts a group; spaces and tabs may follow the "]". A group
//     that appears twice is one group: later lines join its end.
//   - "key=value" sets a key in the current group. Whitespace before the
//     "=" and after it is dropped; whitespace at the end of the value is
//     kept. A key that appears twice keeps both lines; the last one wins.
//   - Key "Encoding" in the first group, if present, must be "UTF-8".
//
// Anything else is an error that names the line number. Unlike GLib, Parse
// accepts empty data and rejects NUL bytes. It also drops every "\r" at the
// end of a line, where GLib drops one and only before a "\n": GLib would
// write a value that ends in "\r" back as "key=value\r\n", and then read
// it without the "\r". So every file Parse accepts survives Bytes and
// Parse.
func Parse(data []byte) (*File, error) {
	f := &File{keep: true}
	var cur, first *group // cur is nil before the first group
	for n := 1; len(data) > 0; n++ {
		ln := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			ln, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		ln = bytes.TrimRight(ln, "\r")
		if bytes.IndexByte(ln, 0) >= 0 {
			return nil, fmt.Errorf("line %d: contains a nul byte", n)
		}

		s := bytes.TrimLeft(ln, asciiSpace)
		switch {
		case len(s) == 0 || s[0] == '#':
			if cur == nil {
				f.top = append(f.top, string(ln))
			} else {
				cur.lines = append(cur.lines, line{value: string(ln)})
			}

		case isGroupLine(s):
			name := string(s[1:bytes.IndexByte(s, ']')])
			if !ValidGroupName(name) {
				return nil, fmt.Errorf("line %d: invalid group name %q", n, name)
			}
			if cur = f.index[name]; cur == nil {
				cur = f.addGroup(name)
			}
			if first == nil {
				first = cur
			}

		case bytes.IndexByte(s, '=') > 0:
			if cur == nil {
				return nil, fmt.Errorf("line %d: key-value pair before the first group", n)
			}
			eq := bytes.IndexByte(s, '=')
			key := string(bytes.TrimRight(s[:eq], asciiSpace))
			if !glibKeyName(key) {
				return nil, fmt.Errorf("line %d: invalid key name %q", n, key)
			}
			value := string(bytes.TrimLeft(s[eq+1:], asciiSpace))
			if cur == first && key == "Encoding" && !isUTF8Name(value) {
				return nil, fmt.Errorf("line %d: unsupported encoding %q", n, value)
			}
			cur.lines = append(cur.lines, line{key, value})

		default:
			return nil, fmt.Errorf("line %d: %q is not a key-value pair, group, or comment", n, ln)
		}
	}
	return f, nil
}

// asciiSpace is the set of g_ascii_isspace, which leaves out "\v".
const asciiSpace = " \t\n\f\r"

// isGroupLine reports whether s is "[", anything without "]", "]", and then
// only spaces and tabs. Like GLib, which steps over UTF-8 continuation
// bytes while looking past the "]", it also lets continuation bytes follow
// the "]" and each space or tab.
func isGroupLine(s []byte) bool {
	if len(s) == 0 || s[0] != '[' {
		return false
	}
	i := bytes.IndexByte(s, ']')
	if i < 0 {
		return false
	}
	i = skipContinuation(s, i+1)
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i = skipContinuation(s, i+1)
	}
	return i == len(s)
}

func skipContinuation(s []byte, i int) int {
	for i < len(s) && s[i]&0xc0 == 0x80 {
		i++
	}
	return i
}

// ValidGroupName reports whether name can be a group name: not empty, and
// free of "[", "]" and ASCII control characters (g_key_file_is_group_name).
func ValidGroupName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '[' || c == ']' || c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// ValidKeyName reports whether the Set methods accept key. That is GLib's
// rule (g_key_file_is_key_name: not empty; no "=", "[" or "]" except a
// trailing locale such as "Name[de_DE@euro]"; no leading or trailing
// space), made strict enough that the key reads back the same: it must
// also not start with "#" nor start or end with ASCII whitespace, and not
// contain a newline or NUL byte.
func ValidKeyName(key string) bool {
	if !glibKeyName(key) || key[0] == '#' {
		return false
	}
	if strings.ContainsAny(key, "\n\x00") {
		return false
	}
	first, last := key[0], key[len(key)-1]
	return !isASCIISpace(first) && !isASCIISpace(last)
}

// glibKeyName is g_key_file_is_key_name, the check Parse applies.
func glibKeyName(key string) bool {
	q := 0
	for q < len(key) && key[q] != '=' && key[q] != '[' && key[q] != ']' {
		q++
	}
	if q == 0 || key[0] == ' ' || key[q-1] == ' ' {
		return false
	}
	if q < len(key) && key[q] == '[' {
		q++
		for q < len(key) {
			r, _ := utf8.DecodeRuneInString(key[q:])
			c := key[q]
			if !unicode.IsLetter(r) && !unicode.IsNumber(r) && c != '-' && c != '_' && c != '.' && c != '@' {
				break
			}
			// g_utf8_find_next_char: one byte, then any continuation bytes.
			q++
			for q < len(key) && key[q]&0xc0 == 0x80 {
				q++
			}
		}
		if q >= len(key) || key[q] != ']' {
			return false
		}
		q++
	}
	return q == len(key)
}

func isASCIISpace(c byte) bool {
	return strings.IndexByte(asciiSpace, c) >= 0
}

// isUTF8Name reports whether s is "UTF-8" in any ASCII case.
func isUTF8Name(s string) bool {
	const want = "utf-8"
	if len(s) != len(want) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != want[i] {
			return false
		}
	}
	return true
}
