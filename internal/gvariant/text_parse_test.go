package gvariant

import (
	"bytes"
	"errors"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// textParseTests holds texts with what g_variant_parse makes of them:
// the type and the annotated print of the value, or the error message.
// An empty typ means no type was given. Expectations were captured from
// GLib 2.74.4 through python3-gi (GLib.Variant.parse(type, text, None,
// None), then .get_type_string() and .print_(True), or the GError's
// message); TestTextGLibOracle rechecks them.
var textParseTests = []struct {
	typ, text           string
	wantType, wantPrint string
	wantErr             string
}{
	{"", "uint32 42", "u", "uint32 42", ""},
	{"", "'a string'", "s", "'a string'", ""},
	{"", "[1, 2]", "ai", "[1, 2]", ""},
	{"", "true", "b", "true", ""},
	{"", "false", "b", "false", ""},
	{"", "@as []", "as", "@as []", ""},
	{"", "<'boxed'>", "v", "<'boxed'>", ""},
	{"", "(1, 'x')", "(is)", "(1, 'x')", ""},
	{"", "{'k': <1>}", "a{sv}", "{'k': <1>}", ""},
	{"", "b'bytes'", "ay", "b'bytes'", ""},
	{"", "[byte 0x01, 0x02]", "ay", "[byte 0x01, 0x02]", ""},
	{"", "int64 -5", "x", "int64 -5", ""},
	{"", "objectpath '/x'", "o", "objectpath '/x'", ""},
	{"", "@ms nothing", "ms", "@ms nothing", ""},
	{"", "just 5", "mi", "@mi 5", ""},
	{"", "nothing", "", "", "0-7:unable to infer type"},
	{"", "just nothing", "", "", "0-12:unable to infer type"},
	{"", "@mmi just nothing", "mmi", "@mmi just nothing", ""},
	{"", "@mmi 5", "mmi", "@mmi 5", ""},
	{"", "[just 1, nothing]", "ami", "[@mi 1, nothing]", ""},
	{"", "byte 0xff", "y", "byte 0xff", ""},
	{"", "int16 -32768", "n", "int16 -32768", ""},
	{"", "uint16 65535", "q", "uint16 65535", ""},
	{"", "handle -1", "h", "handle -1", ""},
	{"", "uint64 18446744073709551615", "t", "uint64 18446744073709551615", ""},
	{"", "double 1", "d", "1.0", ""},
	{"", "1.5", "d", "1.5", ""},
	{"", "-0.0", "d", "-0.0", ""},
	{"", "0.1", "d", "0.10000000000000001", ""},
	{"", "1e100", "d", "1e+100", ""},
	{"", "inf", "d", "inf", ""},
	{"", "-nan", "d", "-nan", ""},
	{"", "0x1F", "i", "31", ""},
	{"", "010", "i", "8", ""},
	{"", "-2147483648", "i", "-2147483648", ""},
	{"", "2147483648", "", "", "0-10:number out of range for type 'i'"},
	{"", "\"it's\"", "s", "\"it's\"", ""},
	{"", "'say \"hi\"'", "s", "'say \"hi\"'", ""},
	{"", "'tab\\there\\n'", "s", "'tab\\there\\n'", ""},
	{"", "'\\u00e9\\U0001F600'", "s", "'é😀'", ""},
	{"", "'\\u200b'", "s", "'\\u200b'", ""},
	{"", "'日本語'", "s", "'日本語'", ""},
	{"", "signature 'a{sv}'", "g", "signature 'a{sv}'", ""},
	{"", "b''", "ay", "b''", ""},
	{"", "b\"it's\"", "ay", "b\"it's\"", ""},
	{"", "b'\\001\\377'", "ay", "b'\\001\\377'", ""},
	{"", "b'a\\0b'", "ay", "b'a'", ""},
	{"", "[byte 0x00, 0x61]", "ay", "[byte 0x00, 0x61]", ""},
	{"", "@ay []", "ay", "@ay []", ""},
	{"", "()", "()", "()", ""},
	{"", "(1,)", "(i)", "(1,)", ""},
	{"", "((), [()])", "(()a())", "((), [()])", ""},
	{"", "{}", "", "", "0-2:unable to infer type"},
	{"", "@a{sv} {}", "a{sv}", "@a{sv} {}", ""},
	{"", "{1, 'x'}", "{is}", "{1, 'x'}", ""},
	{"", "{'a': 1, 'b': 2}", "a{si}", "{'a': 1, 'b': 2}", ""},
	{"", "{'a': <@a{sv} {}>, 'b': <[<'x'>]>}", "a{sv}", "{'a': <@a{sv} {}>, 'b': <[<'x'>]>}", ""},
	{"", "[(1, 'a'), (2, 'b')]", "a(is)", "[(1, 'a'), (2, 'b')]", ""},
	{"", "[[1], [], [2, 3]]", "aai", "[[1], [], [2, 3]]", ""},
	{"", "<<<1>>>", "v", "<<<1>>>", ""},
	{"", "[<1>, <'x'>, <@mi nothing>]", "av", "[<1>, <'x'>, <@mi nothing>]", ""},
	{"", "  [ 1 ,\t2 ]  ", "ai", "[1, 2]", ""},
	{"", "\f[1,\r\n2]\t", "ai", "[1, 2]", ""},
	{"", "1\v", "", "", "1:expected end of input"},
	{"", "[1,\v2]", "", "", "3:expected value"},
	{"as", "[]", "as", "@as []", ""},
	{"a{sv}", "{}", "a{sv}", "@a{sv} {}", ""},
	{"mi", "5", "mi", "@mi 5", ""},
	{"mmi", "nothing", "mmi", "@mmi nothing", ""},
	{"y", "200", "y", "byte 0xc8", ""},
	{"d", "5", "d", "5.0", ""},
	{"t", "18446744073709551615", "t", "uint64 18446744073709551615", ""},
	{"h", "-1", "h", "handle -1", ""},
	{"o", "'/org/example'", "o", "objectpath '/org/example'", ""},
	{"g", "'(ii)'", "g", "signature '(ii)'", ""},
	{"ay", "[1, 2]", "ay", "[byte 0x01, 0x02]", ""},
	{"(is)", "(1, 'x')", "(is)", "(1, 'x')", ""},
	{"{sv}", "{'k', <true>}", "{sv}", "{'k', <true>}", ""},
	{"v", "<1>", "v", "<1>", ""},
	{"s", "@i 'x'", "s", "'x'", ""},
	{"", "", "", "", "0:expected value"},
	{"", "1 2", "", "", "2:expected end of input"},
	{"", "[1, 'x']", "", "", "1-2,4-7:unable to find a common type"},
	{"", "{1: 'a', 2: 3}", "", "", "12-13:can not parse as value of type 's'"},
	{"", "[1, 2", "", "", "5:expected ',' or ']' to follow array element"},
	{"", "(1)", "", "", "2:expected ',' after first tuple element"},
	{"", "byte 256", "", "", "5-8:number out of range for type 'y'"},
	{"", "uint32 -1", "", "", "7-9:number out of range for type 'u'"},
	{"", "int64 9223372036854775808", "", "", "6-25:number out of range for type 'x'"},
	{"", "99999999999999999999", "", "", "0-20:integer too big for any type"},
	{"", "1e400", "", "", "0-5:number too big for any type"},
	{"", "08", "", "", "1-2:invalid character in number"},
	{"", "1.5.5", "", "", "3-4:invalid character in number"},
	{"", "'abc", "", "", "0-4:unterminated string constant"},
	{"", "'\\u0000'", "", "", "3-7:invalid 4-character unicode escape"},
	// GLib returns NULL without setting an error for this one.
	{"", "'\\ud800'", "", "", "0-8:string is not valid UTF-8"},
	{"", "@a* []", "", "", "0-3:type declarations must be definite"},
	{"", "@as[]", "", "", "0-4:invalid type declaration"},
	{"", "@z 1", "", "", "0-2:invalid type declaration"},
	{"", "foo", "", "", "0-3:unknown keyword"},
	{"", "True", "", "", "0:expected value"},
	{"", "nothing 5", "", "", "0-7:unable to infer type"},
	{"", "[]", "", "", "0-2:unable to infer type"},
	{"", "{'a': []}", "", "", "0-9:unable to infer type"},
	{"", "{[1]: 2}", "", "", "0-8:dictionary keys must have basic types"},
	{"", "objectpath 'x'", "", "", "11-14:not a valid object path"},
	{"", "signature 'mi'", "", "", "10-14:not a valid signature"},
	{"u", "'x'", "", "", "0-3:can not parse as value of type 'u'"},
	{"y", "-1", "", "", "0-2:number out of range for type 'y'"},
	{"(ii)", "(1,)", "", "", "0-4:can not parse as value of type '(ii)'"},
	{"ai", "{}", "", "", "0-2:can not parse as value of type 'ai'"},
}

func TestParse(t *testing.T) {
	for _, tc := range textParseTests {
		t.Run(tc.typ+" "+tc.text, func(t *testing.T) {
			var ty *Type
			var v any
			var err error
			if tc.typ == "" {
				ty, v, err = ParseAny(tc.text)
			} else {
				ty = MustType(tc.typ)
				v, err = Parse(ty, tc.text)
			}
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("got %s %s, want error %q", ty, Print(ty, v, true), tc.wantErr)
				}
				if err.Error() != tc.wantErr {
					t.Fatalf("error\n got %s\nwant %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ty.String() != tc.wantType {
				t.Errorf("type %s, want %s", ty, tc.wantType)
			}
			if _, err := Marshal(ty, v); err != nil {
				t.Errorf("value does not encode: %v", err)
			}
			if got := Print(ty, v, true); got != tc.wantPrint {
				t.Errorf("print\n got %s\nwant %s", got, tc.wantPrint)
			}
		})
	}
}

// TestParseValues checks the Go values Parse builds: the forms the
// package documents, which Marshal accepts.
func TestParseValues(t *testing.T) {
	tests := []struct {
		text string
		want any
	}{
		{"uint32 42", uint32(42)},
		{"'a string'", "a string"},
		{"[1, 2]", []any{int32(1), int32(2)}},
		{"true", true},
		{"@as []", []any{}},
		{"<'boxed'>", NewVariant("s", "boxed")},
		{"(1, 'x')", []any{int32(1), "x"}},
		{"{'k': <1>}", []any{DictEntry{"k", NewVariant("i", int32(1))}}},
		{"{1, 'x'}", DictEntry{int32(1), "x"}},
		{"b'bytes'", []byte("bytes\x00")},
		{"[byte 0x01, 0x02]", []byte{1, 2}},
		{"@ay []", []byte{}},
		{"int64 -5", int64(-5)},
		{"objectpath '/x'", "/x"},
		{"@ms nothing", Maybe{}},
		{"just 5", Maybe{Valid: true, Value: int32(5)}},
		{"@mmi just nothing", Maybe{Valid: true, Value: Maybe{}}},
		{"handle -1", uint32(0xffffffff)},
		{"int16 -32768", int16(math.MinInt16)},
		{"uint64 18446744073709551615", uint64(math.MaxUint64)},
		{"1.5", 1.5},
		{"()", []any{}},
	}
	for _, tc := range tests {
		ty, v, err := ParseAny(tc.text)
		if err != nil {
			t.Errorf("ParseAny(%q): %v", tc.text, err)
			continue
		}
		if !reflect.DeepEqual(v, tc.want) {
			t.Errorf("ParseAny(%q) = %#v, want %#v", tc.text, v, tc.want)
		}
		if _, err := Marshal(ty, v); err != nil {
			t.Errorf("ParseAny(%q) does not encode: %v", tc.text, err)
		}
	}
}

func TestParseNaN(t *testing.T) {
	for text, bits := range map[string]uint64{"nan": 0x7ff8000000000000, "-nan": 0xfff8000000000000} {
		_, v, err := ParseAny(text)
		if err != nil {
			t.Fatal(err)
		}
		if got := math.Float64bits(v.(float64)); got != bits {
			t.Errorf("ParseAny(%s) bits %#x, want %#x", text, got, bits)
		}
	}
}

// TestParseDeviations pins where we knowingly differ from GLib 2.74.
func TestParseDeviations(t *testing.T) {
	tests := []struct{ text, wantErr string }{
		// GLib accepts types up to 128 deep; ParseType stops at 66.
		{strings.Repeat("[", 100) + "1" + strings.Repeat("]", 100), "0-201:variant nested too deeply"},
		{"@" + strings.Repeat("a", 100) + "i []", "0-102:type declaration recurses too deeply"},
		// GLib reports this error at an address read through a stale
		// pointer; we name the next token.
		{strings.Repeat("<", 128) + "1" + strings.Repeat(">", 128), "128:variant nested too deeply"},
		// GLib fails without an error message for a string that is not
		// UTF-8 after unescaping.
		{`'\U00110000'`, "0-12:string is not valid UTF-8"},
		{"'\xff'", "0-3:string is not valid UTF-8"},
	}
	for _, tc := range tests {
		_, _, err := ParseAny(tc.text)
		if err == nil || err.Error() != tc.wantErr {
			t.Errorf("ParseAny(%.20q...) error %v, want %s", tc.text, err, tc.wantErr)
		}
	}
}

func TestParseStopsAtNUL(t *testing.T) {
	ty, v, err := ParseAny("[1]\x00 garbage")
	if err != nil || ty.String() != "ai" || len(v.([]any)) != 1 {
		t.Errorf("ParseAny with NUL = %v %v %v", ty, v, err)
	}
}

// hasSubnormal reports whether v holds a subnormal double, which prints
// as text that GLib's parser (and ours) rejects as out of range.
func hasSubnormal(t *Type, v any) bool {
	switch t.Kind {
	case 'd':
		f := math.Abs(v.(float64))
		return f != 0 && f < 0x1p-1022
	case 'v':
		x := v.(Variant)
		return hasSubnormal(x.Type, x.Value)
	case 'm':
		x := v.(Maybe)
		return x.Valid && hasSubnormal(t.Elem, x.Value)
	case 'a':
		if t.Elem.Kind == 'y' {
			return false
		}
		for _, e := range v.([]any) {
			if hasSubnormal(t.Elem, e) {
				return true
			}
		}
	case '(':
		for i, f := range t.Fields {
			if hasSubnormal(f, v.([]any)[i]) {
				return true
			}
		}
	case '{':
		de := v.(DictEntry)
		return hasSubnormal(t.Fields[0], de.Key) || hasSubnormal(t.Fields[1], de.Value)
	}
	return false
}

// FuzzParseText checks that the parser never panics, that what it
// accepts encodes, and that the annotated print of it parses back to the
// same type and bytes and prints identically.
func FuzzParseText(f *testing.F) {
	for _, tc := range textParseTests {
		f.Add(tc.text)
	}
	for _, tc := range printTests {
		f.Add(tc.annotated)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, typ := range fuzzTextTypes {
			ty := MustType(typ)
			if v, err := Parse(ty, text); err == nil {
				checkReparse(t, text, ty, v)
			} else if pe := (*ParseError)(nil); !errors.As(err, &pe) {
				t.Fatalf("Parse(%s, %q): error %v is not a *ParseError", typ, text, err)
			}
		}
		ty, v, err := ParseAny(text)
		if err != nil {
			if pe := (*ParseError)(nil); !errors.As(err, &pe) {
				t.Fatalf("ParseAny(%q): error %v is not a *ParseError", text, err)
			}
			return
		}
		checkReparse(t, text, ty, v)
	})
}

// fuzzTextTypes are the types FuzzParseText also parses each input as.
var fuzzTextTypes = []string{"a{sv}", "v", "mmi", "(sayu)", "ay", "d", "h", "ao"}

// checkReparse checks that v, parsed from text as ty, encodes and that
// its annotated print parses back to the same type and bytes.
func checkReparse(t *testing.T, text string, ty *Type, v any) {
	t.Helper()
	b, err := Marshal(ty, v)
	if err != nil {
		t.Fatalf("parsing %q gave an unencodable %s: %v", text, ty, err)
	}
	printed := Print(ty, v, true)
	ty2, v2, err := ParseAny(printed)
	if err != nil {
		if hasSubnormal(ty, v) {
			return
		}
		t.Fatalf("parsing %q gave %s, which does not parse: %v", text, printed, err)
	}
	if ty2.String() != ty.String() {
		t.Fatalf("ParseAny(%q) type %s, reparsed %s", printed, ty, ty2)
	}
	if b2 := MustMarshal(ty2, v2); !bytes.Equal(b, b2) {
		t.Fatalf("ParseAny(%q) bytes %x, reparsed %x", printed, b, b2)
	}
	if again := Print(ty2, v2, true); again != printed {
		t.Fatalf("print not stable:\n%s\n%s", printed, again)
	}
}

// randText builds random, mostly well-formed text of every syntactic
// form, with kinds (0-11) mixed inside containers often enough to reach
// both type unification and its errors.
func randText(r *rand.Rand, depth int, kind int) string {
	if depth > 3 {
		kind = r.Intn(6)
	}
	switch kind {
	case 0:
		return []string{"1", "-1", "0x1f", "010", "255", "-32768", "70000", "4294967296", "-9223372036854775808", "18446744073709551615"}[r.Intn(10)]
	case 1:
		return []string{"1.5", "-0.0", "1e3", "inf", "-nan", ".5", "1e-320"}[r.Intn(7)]
	case 2:
		return []string{"'a'", "\"x'y\"", "'\\u00e9'", "'/a'", "'ii'", "'\\n'", "''"}[r.Intn(7)]
	case 3:
		return []string{"b'x'", "b''", "b\"q'\"", "b'\\377'"}[r.Intn(4)]
	case 4:
		return []string{"true", "false"}[r.Intn(2)]
	case 5:
		return []string{"nothing", "just 1", "just nothing", "just 'x'", "@mi nothing", "@ms 'a'"}[r.Intn(6)]
	case 6:
		n := r.Intn(4)
		ek := r.Intn(12)
		var parts []string
		for i := 0; i < n; i++ {
			k := ek
			if r.Intn(5) == 0 {
				k = r.Intn(12)
			}
			parts = append(parts, randText(r, depth+1, k))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case 7:
		n := r.Intn(4)
		var parts []string
		for i := 0; i < n; i++ {
			parts = append(parts, randText(r, depth+1, r.Intn(12)))
		}
		if n == 1 {
			return "(" + parts[0] + ",)"
		}
		return "(" + strings.Join(parts, ", ") + ")"
	case 8:
		n := r.Intn(3)
		kk, vk := r.Intn(5), r.Intn(12)
		if r.Intn(6) == 0 {
			return "{" + randText(r, depth+1, kk) + ", " + randText(r, depth+1, vk) + "}"
		}
		var parts []string
		for i := 0; i < n; i++ {
			v := vk
			if r.Intn(5) == 0 {
				v = r.Intn(12)
			}
			parts = append(parts, randText(r, depth+1, kk)+": "+randText(r, depth+1, v))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case 9:
		return "<" + randText(r, depth+1, r.Intn(12)) + ">"
	case 10:
		kw := []string{"byte", "int16", "uint16", "int32", "uint32", "int64", "uint64", "handle", "double", "string", "objectpath", "signature", "boolean"}
		return kw[r.Intn(len(kw))] + " " + randText(r, depth+1, r.Intn(5))
	default:
		ty := []string{"@as", "@a{sv}", "@mi", "@ay", "@v", "@(is)", "@a{ss}", "@mmi", "@ai", "@ad", "@au"}
		return ty[r.Intn(len(ty))] + " " + randText(r, depth+1, r.Intn(12))
	}
}
