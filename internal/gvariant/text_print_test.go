package gvariant

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/rand"
	"os/exec"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/testutil"
)

// printTests holds values with the text g_variant_print gives for them,
// annotated and not. The expected strings were captured from GLib 2.74.4
// (python3-gi: GLib.Variant.new_from_bytes(...).print_(True/False)) and
// must not be edited by hand; TestTextGLibOracle rechecks them.
var printTests = []struct {
	name, typ        string
	v                any
	annotated, plain string
}{
	{"true", "b", true, "true", "true"},
	{"false", "b", false, "false", "false"},
	{"byte", "y", byte(0x0a), "byte 0x0a", "0x0a"},
	{"int16", "n", int16(-32768), "int16 -32768", "-32768"},
	{"uint16", "q", uint16(65535), "uint16 65535", "65535"},
	{"int32", "i", int32(-5), "-5", "-5"},
	{"uint32", "u", uint32(42), "uint32 42", "42"},
	{"handle", "h", uint32(0xffffffff), "handle -1", "-1"},
	{"int64", "x", int64(math.MinInt64), "int64 -9223372036854775808", "-9223372036854775808"},
	{"uint64", "t", uint64(math.MaxUint64), "uint64 18446744073709551615", "18446744073709551615"},
	{"double one", "d", 1.0, "1.0", "1.0"},
	{"double tenth", "d", 0.1, "0.10000000000000001", "0.10000000000000001"},
	{"double negative zero", "d", math.Copysign(0, -1), "-0.0", "-0.0"},
	{"double 1e16", "d", 1e16, "10000000000000000.0", "10000000000000000.0"},
	{"double 1e17", "d", 1e17, "1e+17", "1e+17"},
	{"double 1e-5", "d", 1e-5, "1.0000000000000001e-05", "1.0000000000000001e-05"},
	{"double max", "d", math.MaxFloat64, "1.7976931348623157e+308", "1.7976931348623157e+308"},
	{"double subnormal", "d", 5e-324, "4.9406564584124654e-324", "4.9406564584124654e-324"},
	{"double inf", "d", math.Inf(1), "inf", "inf"},
	{"double -inf", "d", math.Inf(-1), "-inf", "-inf"},
	{"double nan", "d", math.Float64frombits(0x7ff8000000000000), "nan", "nan"},
	{"double -nan", "d", math.Float64frombits(0xfff8000000000000), "-nan", "-nan"},
	{"string", "s", "a string", "'a string'", "'a string'"},
	{"empty string", "s", "", "''", "''"},
	{"single quote", "s", "it's", "\"it's\"", "\"it's\""},
	{"double quote", "s", `say "hi"`, "'say \"hi\"'", "'say \"hi\"'"},
	{"both quotes", "s", `it's "x"`, "\"it's \\\"x\\\"\"", "\"it's \\\"x\\\"\""},
	{"backslash", "s", `a\b`, "'a\\\\b'", "'a\\\\b'"},
	{"c escapes", "s", "\a\b\f\n\r\t\v", "'\\a\\b\\f\\n\\r\\t\\v'", "'\\a\\b\\f\\n\\r\\t\\v'"},
	{"controls", "s", "\x01\x1f\x7f\u0085", "'\\u0001\\u001f\\u007f\\u0085'", "'\\u0001\\u001f\\u007f\\u0085'"},
	{"unicode", "s", "é日本語😀", "'é日本語😀'", "'é日本語😀'"},
	{"format chars", "s", "\u200b\u00ad\U000E0001", "'\\u200b\\u00ad\\U000e0001'", "'\\u200b\\u00ad\\U000e0001'"},
	{"line separator", "s", "\u2028", "'\u2028'", "'\u2028'"},
	{"private use", "s", "\ue000\U0010FFFD", "'\ue000\U0010fffd'", "'\ue000\U0010fffd'"},
	{"unassigned", "s", "\u0378\ufffe", "'\\u0378\\ufffe'", "'\\u0378\\ufffe'"},
	{"objectpath", "o", "/org/example/x_1", "objectpath '/org/example/x_1'", "'/org/example/x_1'"},
	{"signature", "g", "a{sv}", "signature 'a{sv}'", "'a{sv}'"},
	{"bytestring", "ay", []byte("bytes\x00"), "b'bytes'", "b'bytes'"},
	{"empty bytestring", "ay", []byte{0}, "b''", "b''"},
	{"bytestring quote", "ay", []byte("it's\x00"), "b\"it's\"", "b\"it's\""},
	{"bytestring dquote", "ay", []byte("say \"hi\"\x00"), "b'say \\\"hi\\\"'", "b'say \\\"hi\\\"'"},
	{"bytestring escapes", "ay", []byte("\a\b\f\n\r\t\v\\\x01\x7f\xff\x00"), "b'\\007\\b\\f\\n\\r\\t\\v\\\\\\001\\177\\377'", "b'\\007\\b\\f\\n\\r\\t\\v\\\\\\001\\177\\377'"},
	{"bytestring utf8", "ay", []byte("é\x00"), "b'\\303\\251'", "b'\\303\\251'"},
	{"bytes", "ay", []byte{1, 2}, "[byte 0x01, 0x02]", "[0x01, 0x02]"},
	{"bytes inner nul", "ay", []byte("a\x00b\x00"), "[byte 0x61, 0x00, 0x62, 0x00]", "[0x61, 0x00, 0x62, 0x00]"},
	{"bytes two nuls", "ay", []byte{0, 0}, "[byte 0x00, 0x00]", "[0x00, 0x00]"},
	{"bytes no nul", "ay", []byte("abc"), "[byte 0x61, 0x62, 0x63]", "[0x61, 0x62, 0x63]"},
	{"empty bytes", "ay", []byte{}, "@ay []", "[]"},
	{"array", "ai", []any{int32(1), int32(2)}, "[1, 2]", "[1, 2]"},
	{"array uint32", "au", []any{uint32(1), uint32(2)}, "[uint32 1, 2]", "[1, 2]"},
	{"empty array", "as", []any{}, "@as []", "[]"},
	{"strings", "as", []any{"a", "b"}, "['a', 'b']", "['a', 'b']"},
	{"nested", "aau", []any{[]any{}, []any{uint32(1)}}, "[@au [], [1]]", "[[], [1]]"},
	{"array of bytes", "aay", []any{[]byte{1}, []byte("x\x00")}, "[[byte 0x01], b'x']", "[[0x01], b'x']"},
	{"tuple", "(is)", []any{int32(1), "x"}, "(1, 'x')", "(1, 'x')"},
	{"tuple of one", "(u)", []any{uint32(1)}, "(uint32 1,)", "(1,)"},
	{"unit", "()", []any{}, "()", "()"},
	{"tuple annotates all", "(uu)", []any{uint32(1), uint32(2)}, "(uint32 1, uint32 2)", "(1, 2)"},
	{"dict", "a{sv}", []any{DictEntry{"a", NewVariant("i", int32(1))}, DictEntry{"b", NewVariant("s", "x")}}, "{'a': <1>, 'b': <'x'>}", "{'a': <1>, 'b': <'x'>}"},
	{"dict annotates first", "a{ut}", []any{DictEntry{uint32(1), uint64(2)}, DictEntry{uint32(3), uint64(4)}}, "{uint32 1: uint64 2, 3: 4}", "{1: 2, 3: 4}"},
	{"empty dict", "a{sv}", []any{}, "@a{sv} {}", "{}"},
	{"dict entry", "{yd}", DictEntry{byte(1), 2.5}, "{byte 0x01, 2.5}", "{0x01, 2.5}"},
	{"variant", "v", NewVariant("u", uint32(7)), "<uint32 7>", "<uint32 7>"},
	{"nested variants", "v", NewVariant("v", NewVariant("v", NewVariant("as", []any{}))), "<<<@as []>>>", "<<<@as []>>>"},
	{"variant bytes", "v", NewVariant("ay", []byte{}), "<@ay []>", "<@ay []>"},
	{"variant objectpath", "v", NewVariant("o", "/"), "<objectpath '/'>", "<objectpath '/'>"},
	{"nothing", "mi", Maybe{}, "@mi nothing", "nothing"},
	{"just", "mi", Maybe{Valid: true, Value: int32(5)}, "@mi 5", "5"},
	{"just string", "ms", Maybe{Valid: true, Value: "x"}, "@ms 'x'", "'x'"},
	{"just just", "mmu", Maybe{Valid: true, Value: Maybe{Valid: true, Value: uint32(5)}}, "@mmu 5", "5"},
	{"just nothing", "mmi", Maybe{Valid: true, Value: Maybe{}}, "@mmi just nothing", "just nothing"},
	{"just just nothing", "mmmi", Maybe{Valid: true, Value: Maybe{Valid: true, Value: Maybe{}}}, "@mmmi just just nothing", "just just nothing"},
	{"maybe array", "mas", Maybe{Valid: true, Value: []any{}}, "@mas []", "[]"},
	{"array of maybes", "ami", []any{Maybe{Valid: true, Value: int32(1)}, Maybe{}}, "[@mi 1, nothing]", "[1, nothing]"},
	{"maybe variant", "mv", Maybe{Valid: true, Value: NewVariant("mi", Maybe{})}, "@mv <@mi nothing>", "<@mi nothing>"},
	{"commit-like", "(a{sv}aya(say)sstayay)", []any{
		[]any{DictEntry{"version", NewVariant("s", "1.0")}, DictEntry{"ostree.ref-binding", NewVariant("as", []any{"main"})}},
		[]byte{}, []any{}, "subject", "body", uint64(0x5e0be100), []byte{0xaa, 0xbb}, []byte{0xcc, 0},
	}, "({'version': <'1.0'>, 'ostree.ref-binding': <['main']>}, @ay [], @a(say) [], 'subject', 'body', uint64 1577836800, [byte 0xaa, 0xbb], b'\\314')", "({'version': <'1.0'>, 'ostree.ref-binding': <['main']>}, [], [], 'subject', 'body', 1577836800, [0xaa, 0xbb], b'\\314')"},
	{"xattrs", "a(ayay)", []any{[]any{[]byte("security.selinux\x00"), []byte("system_u:object_r:usr_t:s0\x00")}}, "[(b'security.selinux', b'system_u:object_r:usr_t:s0')]", "[(b'security.selinux', b'system_u:object_r:usr_t:s0')]"},
}

func TestPrint(t *testing.T) {
	for _, tc := range printTests {
		t.Run(tc.name, func(t *testing.T) {
			ty := MustType(tc.typ)
			if got := Print(ty, tc.v, true); got != tc.annotated {
				t.Errorf("annotated\n got %s\nwant %s", got, tc.annotated)
			}
			if got := Print(ty, tc.v, false); got != tc.plain {
				t.Errorf("plain\n got %s\nwant %s", got, tc.plain)
			}
			// Annotated text parses back to the same value, except that
			// GLib's parser (and so ours) rejects subnormal doubles.
			if tc.name == "double subnormal" {
				return
			}
			gotT, v, err := ParseAny(tc.annotated)
			if err != nil {
				t.Fatalf("ParseAny(%s): %v", tc.annotated, err)
			}
			if gotT.String() != tc.typ {
				t.Errorf("ParseAny(%s) type %s, want %s", tc.annotated, gotT, tc.typ)
			}
			want := MustMarshal(ty, tc.v)
			if got := MustMarshal(gotT, v); string(got) != string(want) {
				t.Errorf("ParseAny(%s) bytes %x, want %x", tc.annotated, got, want)
			}
		})
	}
}

// TestPrintAcceptsEncoderForms checks that Print takes the same
// convenience slices Marshal does.
func TestPrintAcceptsEncoderForms(t *testing.T) {
	tests := []struct {
		typ  string
		v    any
		want string
	}{
		{"as", []string{"a", "b"}, "['a', 'b']"},
		{"aay", [][]byte{[]byte("x\x00")}, "[b'x']"},
		{"a{ss}", []DictEntry{{"k", "v"}}, "{'k': 'v'}"},
		{"a{ss}", []any{[]any{"k", "v"}}, "{'k': 'v'}"},
		{"{ss}", []any{"k", "v"}, "{'k', 'v'}"},
	}
	for _, tc := range tests {
		if got := Print(MustType(tc.typ), tc.v, true); got != tc.want {
			t.Errorf("Print(%s, %#v) = %s, want %s", tc.typ, tc.v, got, tc.want)
		}
	}
}

func TestAppendTextRejectsMismatch(t *testing.T) {
	tests := []struct {
		typ string
		v   any
	}{
		{"i", uint32(1)}, {"s", 1}, {"s", "a\x00b"}, {"s", "\xff"}, {"ay", []any{byte(1)}},
		{"(ii)", []any{int32(1)}}, {"v", Variant{}}, {"mi", int32(1)}, {"a{sv}", []any{"x"}},
		{"as", []any{1}}, {"{sv}", "x"}, {"ai", "x"},
	}
	for _, tc := range tests {
		if b, err := AppendText(nil, MustType(tc.typ), tc.v, true); err == nil {
			t.Errorf("AppendText(%s, %#v) = %s, want an error", tc.typ, tc.v, b)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(error).Error(), "cannot print") {
			t.Errorf("Print of a mismatched value: recovered %v", r)
		}
	}()
	Print(MustType("u"), "x", false)
}

// glibTextScript answers one JSON request per line. "parse" runs
// g_variant_parse on text; "print" loads a serialized value and prints
// it both ways, then has GLib parse its own annotated output back.
const glibTextScript = `
import sys, json
from gi.repository import GLib

def describe(v):
    return {"type": v.get_type_string(),
            "hex": (v.get_normal_form().get_data_as_bytes().get_data() or b"").hex(),
            "annotated": v.print_(True), "plain": v.print_(False)}

def parse(typ, text):
    try:
        v = GLib.Variant.parse(GLib.VariantType.new(typ) if typ else None, text, None, None)
    except GLib.Error as e:
        return {"error": e.message}
    if v is None:
        return {"error": "<null>"}
    return describe(v)

for line in sys.stdin:
    req = json.loads(line)
    if req["op"] == "parse":
        out = parse(req["type"], req["text"])
    else:
        data = GLib.Bytes.new(bytes.fromhex(req.get("hex", "")))
        v = GLib.Variant.new_from_bytes(GLib.VariantType.new(req["type"]), data, False)
        out = describe(v)
        out["reparse"] = parse("", out["annotated"])
    print(json.dumps(out), flush=True)
`

type glibRequest struct {
	Op   string `json:"op"`
	Type string `json:"type"`
	Text string `json:"text"`
	Hex  string `json:"hex,omitempty"`
}

type glibAnswer struct {
	Error     string      `json:"error"`
	Type      string      `json:"type"`
	Hex       string      `json:"hex"`
	Annotated string      `json:"annotated"`
	Plain     string      `json:"plain"`
	Reparse   *glibAnswer `json:"reparse"`
}

// askGLib sends all requests to one python process and returns the
// answers in order.
func askGLib(t *testing.T, py string, reqs []glibRequest) []glibAnswer {
	t.Helper()
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, r := range reqs {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(py, "-c", glibTextScript)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.Bytes())
	}
	var answers []glibAnswer
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var a glibAnswer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("bad answer %q: %v", sc.Text(), err)
		}
		answers = append(answers, a)
	}
	if len(answers) != len(reqs) {
		t.Fatalf("GLib answered %d of %d requests\n%s", len(answers), len(reqs), stderr.Bytes())
	}
	return answers
}

// checkParse compares our parse of text (as type typ, or inferred when
// empty) with GLib's answer.
func checkParse(t *testing.T, typ, text string, want glibAnswer) {
	t.Helper()
	var ty *Type
	var v any
	var err error
	if typ == "" {
		ty, v, err = ParseAny(text)
	} else {
		ty = MustType(typ)
		v, err = Parse(ty, text)
	}
	if want.Error != "" {
		switch {
		case err == nil:
			t.Errorf("Parse(%q, %q) = %s, GLib fails: %s", typ, text, Print(ty, v, true), want.Error)
		case want.Error == "<null>":
			// GLib returns NULL without an error for strings that are
			// not UTF-8 after unescaping; any error will do.
		case err.Error() != want.Error:
			t.Errorf("Parse(%q, %q) error\n got %s\nwant %s", typ, text, err, want.Error)
		}
		return
	}
	if err != nil {
		t.Errorf("Parse(%q, %q): %v; GLib gives %s %s", typ, text, err, want.Type, want.Annotated)
		return
	}
	if ty.String() != want.Type {
		t.Errorf("Parse(%q, %q) type %s, GLib %s", typ, text, ty, want.Type)
		return
	}
	b, err := Marshal(ty, v)
	if err != nil {
		t.Errorf("Parse(%q, %q) gave an unencodable %s: %v", typ, text, ty, err)
		return
	}
	if got := hex.EncodeToString(b); got != want.Hex {
		t.Errorf("Parse(%q, %q) bytes\n got %s\nwant %s", typ, text, got, want.Hex)
	}
	if got := Print(ty, v, true); got != want.Annotated {
		t.Errorf("Print(%q, annotated)\n got %s\nwant %s", text, got, want.Annotated)
	}
	if got := Print(ty, v, false); got != want.Plain {
		t.Errorf("Print(%q)\n got %s\nwant %s", text, got, want.Plain)
	}
}

// TestTextGLibOracle checks Parse and Print against GLib's
// g_variant_parse and g_variant_print: fixed and random texts parsed by
// both (same type, bytes, prints, or error message), and random values
// printed by both, whose annotated GLib text we then parse and compare
// with GLib's own parse of it.
func TestTextGLibOracle(t *testing.T) {
	py := testutil.GLibPython(t)

	var reqs []glibRequest
	for _, tc := range textParseTests {
		reqs = append(reqs, glibRequest{Op: "parse", Type: tc.typ, Text: tc.text})
	}
	for _, text := range oracleTexts {
		reqs = append(reqs, glibRequest{Op: "parse", Text: text})
	}
	for _, tt := range oracleTypedTexts {
		reqs = append(reqs, glibRequest{Op: "parse", Type: tt[0], Text: tt[1]})
	}
	r := rand.New(rand.NewSource(2))
	randTypes := []string{"a{sv}", "v", "mmi", "(is)", "ay", "d", "as", "a{is}", "{sv}", "mv", "ai", "o", "g", "(ii)", "aay", "y", "h"}
	for i := 0; i < 3000; i++ {
		typ := ""
		if r.Intn(4) == 0 {
			typ = randTypes[r.Intn(len(randTypes))]
		}
		reqs = append(reqs, glibRequest{Op: "parse", Type: typ, Text: randText(r, 0, r.Intn(12))})
	}
	nParse := len(reqs)

	type sample struct {
		t *Type
		v any
	}
	var samples []sample
	for i := 0; i < 2000; i++ {
		ty := MustType(textRandType(r, 0))
		v := textRandValue(r, ty, 0)
		b, err := Marshal(ty, v)
		if err != nil {
			t.Fatalf("marshal %s: %v", ty, err)
		}
		samples = append(samples, sample{ty, v})
		reqs = append(reqs, glibRequest{Op: "print", Type: ty.String(), Hex: hex.EncodeToString(b)})
	}

	answers := askGLib(t, py, reqs)
	for i, req := range reqs[:nParse] {
		checkParse(t, req.Type, req.Text, answers[i])
	}
	for i, s := range samples {
		a := answers[nParse+i]
		if got := Print(s.t, s.v, true); got != a.Annotated {
			t.Errorf("Print(%s, annotated)\n got %s\nwant %s", s.t, got, a.Annotated)
			continue
		}
		if got := Print(s.t, s.v, false); got != a.Plain {
			t.Errorf("Print(%s)\n got %s\nwant %s", s.t, got, a.Plain)
		}
		checkParse(t, "", a.Annotated, *a.Reparse)
	}
}

// oracleTexts are parsed without a type by both parsers: valid and
// invalid input, chosen to reach every rule and error of GLib's parser.
var oracleTexts = []string{
	"", " ", "1 2", "[1,2", "[1 2]", "(1)", "(1, 2 3)", "(1, 2,)", "<1", "{1: 2", "{1, 2, 3}", "{1: 2, 3}",
	"{1: 2 3: 4}", "{[1]: 2}", "{<1>: 2}", "{@mi 1: 2}", "{just 1: 2}", "{b'x': 1}", "{'a': 1, 'b': 'x'}",
	"{1: 'a', 2: 3}", "{1: 'a', 'b': 'c'}", "{}", "@a{sv} {}", "@a{ss} {'a': 'b'}", "{'k': <1>}", "{1, 'x'}",
	"@{sv} {'a', <1>}", "[1, 'x']", "[1, 2, 'x', 3]", "['a', @o '/a', 'b']", "[@o '/a', @s 'b']", "[1, 1.5]",
	"[@y 1, 1.5]", "[[1], ['x']]", "[[1], [], [2]]", "[[], []]", "[]", "[nothing]", "[nothing, just 1]",
	"[just nothing, nothing]", "[@mmi just nothing, 5]", "[just [], [1]]", "[(1, 'a'), (2,)]", "[(1,), (2, 3)]",
	"[<1>, <'x'>]", "[{1: 2}, {}]", "[{1, 2}, {3, 4}]", "[b'a', [1]]", "[b'a', ['x']]", "[true, 1]",
	"true", "false", "True", "truex", "nothing", "just", "just 5", "just just 5", "just nothing",
	"just just nothing", "@mmi just nothing", "@mmi nothing", "@mmi 5", "@mi just 5", "@ms 'x'", "null",
	"jxx", "n", "j", "b", "bx", "abc", "int33 5", "@", "@z 1", "@a* []", "@? 1", "@r ()", "@(ii", "@as[]",
	"@{sv}", "@a{vs} {}", "@a{?v} {}", "@i", "@i @i 5", "@s 5", "@ay b'x'", "@aay [b'a', [byte 1]]",
	"byte 255", "byte 256", "byte -1", "byte 0x7f", "int16 32767", "int16 -32768", "int16 32768",
	"uint16 65535", "uint16 -1", "int32 2147483647", "int32 -2147483648", "int32 2147483648", "2147483648",
	"uint32 4294967295", "uint32 4294967296", "int64 9223372036854775807", "int64 -9223372036854775808",
	"int64 -9223372036854775809", "uint64 18446744073709551615", "uint64 18446744073709551616",
	"uint64 -1", "handle 5", "handle -2147483648", "handle 2147483648", "double 5", "double 0x10",
	"double 010", "double -", "double inf", "double nan", "double true", "boolean true", "boolean 1",
	"string 'x'", "string 5", "objectpath '/a/b'", "objectpath '/'", "objectpath 'a'", "objectpath '/a/'",
	"objectpath '/a//b'", "objectpath '/a-b'", "objectpath ''", "signature ''", "signature 'a{sv}'",
	"signature 'mi'", "signature '('", "signature 'ii'", "signature 'x y'", "signature '{sv}'",
	"-", "+", "+5", "-+5", "--5", "+-5", "-0", "010", "08", "0x", "0x1F", "0X1f", "0x1e", "0X1e", "-0x1e",
	"0b1", "1x", "1e", "1e5", "1E5", "1.", ".5", ".", "-.5", "1.5.5", "1e+", "1e-5", "1.0e5", "0.1",
	"1e20", "1e16", "1e17", "1e-400", "-1e-400", "1e400", "-1e400", "1e-310", "2e-324", "3e-324",
	"0x1.0p-1074", "0x1.8p-1070", "0x1p-1074", "0x.8", "0x1.p1", "0x1.8p", "0x.p1", "0x1.ffffp1023",
	"2.2250738585072013e-308", "2.2250738585072012e-308", "2.2250738585072014e-308",
	"0x1.fffffffffffff8p-1023", "0x1.fffffffffffff4p-1023", "1.7976931348623158e308",
	"1.7976931348623159e308", "0x1.fffffffffffff8p1023", "inf", "-inf", "+inf", "nan", "-nan",
	"infinity", "-infinity", "-infinit", "-INF", "-Inf", "INF", "1nan", "-nanx", "123456789012345678.0",
	"18446744073709551615", "18446744073709551616", "-18446744073709551616", "99999999999999999999",
	"0777", "0778", "'abc'", `"abc"`, `'it\'s'`, `"it's"`, `'say "hi"'`, `"say \"hi\""`, `'a\\b'`,
	`'\a\b\f\n\r\t\v'`, `'\x\y\z'`, "'a\\\nb'", `'\u00e9'`, `'\u00E9'`, `'\U0001F600'`, `'\u200b'`,
	`'\u0000'`, `'\u12'`, `'\u12g4'`, `'\U0010ffff'`, `'\uffff'`, `'\ud800'`, `'\U00110000'`,
	`'\U0000000g'`, `'abc`, `'abc\`, `'`, `"`, "'日本語'", "'\u200b'", "'\u0085'", "'\x7f'", "'\t'",
	`b'abc'`, `b"abc"`, `b''`, `b'a\0b'`, `b'\0'`, `b'\1\12\123\1234'`, `b'\777'`, `b'\8'`, `b'\x41'`,
	`b'\u0041'`, `b'it\'s'`, `b"a\"b"`, `b'\a\b\f\n\r\t\v'`, "b'a\\\nb'", `b'abc`, `b'abc\`, "b'é'",
	"[byte 0x01, 0x02]", "[byte 0x00]", "[byte 0x61, 0x00]", "[byte 0x61, 0x00, 0x62]", "@ay []",
	"(1, 'x')", "(1,)", "()", "((),)", "(@as [],)", "(1, (2, (3,)))", "<1>", "<<1>>", "<@mi nothing>",
	"<[]>", "<@as []>", "<(1, <'x'>)>", "<b'x'>", "<[byte 1]>", "<objectpath '/x'>", "<{1: <2>}>",
	"{'a': <1>, 'b': <'x'>}", "{'a': 1, 'b': 2}", "{@s 'a': 1}", "{1: 2, 3: 4}", "{true: 1}",
	"{1.5: 2}", "{'a': []}", "{'a': @as [], 'b': ['x']}", "%i", "[%i]", "&", "<1]", "[1>", "{1: }",
	"(,)", "[,]", "1\v", "[1,\v2]", "@as\v[]", "  [ 1 ,\t2\n]  ", "[[[[[[[[1]]]]]]]]",
	strings.Repeat("[", 127) + strings.Repeat("]", 127), strings.Repeat("[", 128) + "1" + strings.Repeat("]", 128), strings.Repeat("[", 129) + strings.Repeat("]", 129),
	strings.Repeat("just ", 60) + "1", "@" + strings.Repeat("a", 60) + "i []",
	"@" + strings.Repeat("a", 128) + "i []", "@" + strings.Repeat("a", 129) + "i []",
}

// oracleTypedTexts are parsed as the given type by both parsers.
var oracleTypedTexts = [][2]string{
	{"as", "[]"}, {"a{sv}", "{}"}, {"ai", "{}"}, {"mi", "5"}, {"mmi", "5"}, {"mmi", "nothing"},
	{"mi", "just 5"}, {"i", "just 5"}, {"mas", "['a']"}, {"ms", "@i 'x'"}, {"s", "@i 'x'"},
	{"y", "255"}, {"y", "256"}, {"y", "-0"}, {"n", "-32769"}, {"q", "65536"}, {"h", "-1"},
	{"h", "2147483648"}, {"x", "-9223372036854775808"}, {"x", "-9223372036854775809"},
	{"t", "18446744073709551615"}, {"t", "--1"}, {"d", "5"}, {"d", "-INF"}, {"d", "0x10"},
	{"d", "1e-310"}, {"d", "-"}, {"d", "1.5x"}, {"s", "1.5"}, {"s", "5"}, {"b", "1"}, {"o", "'/a'"},
	{"o", "'x'"}, {"g", "'(ii)'"}, {"g", "'mi'"}, {"s", "'\\ud800'"}, {"o", "'\\ud800'"}, {"ay", "b'x'"},
	{"ay", "[1, 2]"}, {"aay", "[b'x', [1]]"}, {"as", "b'x'"}, {"(is)", "(1, 'x')"}, {"(is)", "(1,)"},
	{"(i)", "(1, 'x')"}, {"(ss)", "(1, 'x')"}, {"{is}", "{1, 'x'}"}, {"a{is}", "{1, 'x'}"},
	{"{is}", "{1: 'x'}"}, {"a{is}", "{1: 'x', 2: 3}"}, {"v", "1"}, {"v", "<1>"}, {"av", "[<1>, <'x'>]"},
	{"mv", "<1>"}, {"a{sv}", "{'a': <@a{sv} {}>}"}, {"(ii)", "(1, 2) 3"}, {"u", "5 x"},
	{"ai", "[1, 'x']"}, {"ad", "[1, 2.5]"}, {"ax", "[1, -2]"}, {"m(ii)", "(1, 2)"}, {"mb", "nothing"},
}

// textRandType builds a random type for the text tests; unlike randType
// it includes handles and favours maybes and variants.
func textRandType(r *rand.Rand, depth int) string {
	basics := "bynqiuhxtdsog"
	if depth > 3 {
		return string(basics[r.Intn(len(basics))])
	}
	switch r.Intn(12) {
	case 0, 1, 2:
		return string(basics[r.Intn(len(basics))])
	case 3:
		return "ay"
	case 4:
		return "v"
	case 5, 6:
		return "a" + textRandType(r, depth+1)
	case 7, 8:
		return "m" + textRandType(r, depth+1)
	case 9:
		return "a{" + string("sytuob"[r.Intn(6)]) + textRandType(r, depth+1) + "}"
	case 10:
		return "{" + string("sytd"[r.Intn(4)]) + textRandType(r, depth+1) + "}"
	default:
		n := r.Intn(4)
		s := "("
		for i := 0; i < n; i++ {
			s += textRandType(r, depth+1)
		}
		return s + ")"
	}
}

var (
	textStrings = []string{
		"", "a", "it's", `say "hi"`, `both ' and "`, `back\slash`, "\n\t\a\b\f\v\r", "\x01\x1f\x7f",
		"é", "日本語", "\u200b", "\u00ad", "\U0001F600", "\U000E0001", "\u2028", "\ue000", "\U0010FFFD",
		"\ufffe", "\u0378", "\u0085", "tab\there", "nothing", "just", "<v>", "[1, 2]",
	}
	textDoubles = []float64{
		0, math.Copysign(0, -1), 1, -1.5, 0.1, 1e16, 1e17, 1e-5, 1e-4, 123.456, 1e300, math.MaxFloat64,
		0x1p-1022, 5e-324, 1e-310, math.Inf(1), math.Inf(-1), 1 << 53, 1<<53 + 2, 3.0000000000000004,
		math.Float64frombits(0x7ff8000000000000), math.Float64frombits(0xfff8000000000000), 100, 1e21,
	}
	textBytes = [][]byte{
		{}, {0}, []byte("abc\x00"), []byte("a'b\x00"), []byte("a\"b\x00"), []byte("a'\"b\x00"),
		{0xff, 0x01, 0x00}, []byte("a\x00b\x00"), {1, 2}, []byte("abc"), []byte("\a\b\f\n\r\t\v\\\x00"),
		[]byte("\x7f\x80é\x00"), {0, 0},
	}
	textInts = []int64{0, 1, -1, 5, 127, 128, 255, 256, 32767, -32768, 65535, 1 << 31, -(1 << 31), 1<<31 - 1}
)

func textRandValue(r *rand.Rand, t *Type, depth int) any {
	i := textInts[r.Intn(len(textInts))]
	switch t.Kind {
	case 'b':
		return r.Intn(2) == 1
	case 'y':
		return byte(i)
	case 'n':
		return int16(i)
	case 'q':
		return uint16(i)
	case 'i':
		return int32(i)
	case 'u', 'h':
		return uint32(i)
	case 'x':
		if r.Intn(4) == 0 {
			return int64(r.Uint64())
		}
		return i
	case 't':
		if r.Intn(4) == 0 {
			return r.Uint64()
		}
		return uint64(i)
	case 'd':
		return textDoubles[r.Intn(len(textDoubles))]
	case 's':
		return textStrings[r.Intn(len(textStrings))]
	case 'o':
		return []string{"/", "/a", "/org/gnome/x_1"}[r.Intn(3)]
	case 'g':
		return []string{"", "s", "a{sv}", "(ii)as"}[r.Intn(4)]
	case 'v':
		ct := MustType(textRandType(r, depth+2))
		return Variant{Type: ct, Value: textRandValue(r, ct, depth+1)}
	case 'm':
		if r.Intn(3) == 0 {
			return Maybe{}
		}
		return Maybe{Valid: true, Value: textRandValue(r, t.Elem, depth+1)}
	case 'a':
		if t.Elem.Kind == 'y' {
			if r.Intn(2) == 0 {
				return textBytes[r.Intn(len(textBytes))]
			}
			b := make([]byte, r.Intn(5))
			r.Read(b)
			return b
		}
		out := make([]any, r.Intn(4))
		for i := range out {
			out[i] = textRandValue(r, t.Elem, depth+1)
		}
		return out
	case '(':
		out := make([]any, len(t.Fields))
		for i, f := range t.Fields {
			out[i] = textRandValue(r, f, depth+1)
		}
		return out
	case '{':
		return DictEntry{textRandValue(r, t.Fields[0], depth+1), textRandValue(r, t.Fields[1], depth+1)}
	}
	panic("unreachable")
}
