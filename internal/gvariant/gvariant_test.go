package gvariant

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTypeSizes(t *testing.T) {
	tests := []struct {
		typ          string
		align, fixed int
	}{
		{"b", 1, 1}, {"t", 8, 8}, {"s", 1, 0}, {"v", 8, 0}, {"ay", 1, 0},
		{"(uuu)", 4, 12}, {"(ty)", 8, 16}, {"()", 1, 1}, {"(uuua(ayay))", 4, 0},
		{"{sv}", 8, 0}, {"a{sv}", 8, 0}, {"(yy)", 1, 2}, {"mu", 4, 0},
	}
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			ty, err := ParseType(tc.typ)
			if err != nil {
				t.Fatal(err)
			}
			if ty.Align() != tc.align || ty.FixedSize() != tc.fixed || ty.String() != tc.typ {
				t.Errorf("%s: align %d fixed %d str %q, want %d %d", tc.typ, ty.Align(), ty.FixedSize(), ty.String(), tc.align, tc.fixed)
			}
		})
	}
	for _, bad := range []string{"", "a", "(s", "{vs}", "z", "ss", "{s}", "{sss}"} {
		if _, err := ParseType(bad); err == nil {
			t.Errorf("ParseType(%q) succeeded", bad)
		}
	}
}

// TestSpecCommitExample encodes the worked 142-byte commit from the
// format spec, which was dumped from a commit the reference wrote.
func TestSpecCommitExample(t *testing.T) {
	tree := bytes.Repeat([]byte{0xaa}, 32)
	meta := bytes.Repeat([]byte{0xbb}, 32)
	ts := make([]byte, 8)
	ts[4], ts[5], ts[6], ts[7] = 0x5e, 0x0b, 0xe1, 0x00
	v := []any{
		[]any{
			DictEntry{"version", NewVariant("s", "1.0")},
			DictEntry{"ostree.ref-binding", NewVariant("as", []string{"test"})},
		},
		[]byte{}, []any{}, "subj", "body",
		beUint64(ts), tree, meta,
	}
	got, err := Marshal(MustType("(a{sv}aya(say)sstayay)"), v)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	want = append(want, "version\x00"...)
	want = append(want, "1.0\x00\x00s"...)
	want = append(want, 0x08, 0x00)
	want = append(want, "ostree.ref-binding\x00"...)
	want = append(want, 0, 0, 0, 0, 0)
	want = append(want, "test\x00"...)
	want = append(want, 0x05, 0x00, 'a', 's', 0x13, 0x0f, 0x32)
	want = append(want, "subj\x00body\x00\x00\x00"...)
	want = append(want, ts...)
	want = append(want, tree...)
	want = append(want, meta...)
	want = append(want, 0x68, 0x3e, 0x39, 0x34, 0x34, 0x34)
	if !bytes.Equal(got, want) {
		t.Fatalf("commit bytes\n got %x\nwant %x", got, want)
	}
	if len(got) != 142 {
		t.Errorf("len %d, want 142", len(got))
	}
	back, err := Unmarshal(MustType("(a{sv}aya(say)sstayay)"), got)
	if err != nil {
		t.Fatal(err)
	}
	if s := back.([]any)[3].(string); s != "subj" {
		t.Errorf("subject %q", s)
	}
}

func beUint64(b []byte) uint64 {
	var x uint64
	for i := 7; i >= 0; i-- {
		x = x<<8 | uint64(b[i])
	}
	return x
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		typ string
		val any
		hex string
	}{
		{"s", "", "00"},
		{"(uuu)", []any{uint32(0), uint32(0), uint32(0xed410000)}, "0000000000000000000041ed"},
		{"a(say)", []any{}, ""},
		{"(a(say)a(sayay))", []any{[]any{}, []any{}}, "00"},
		{"as", []string{"a", "bc"}, "610062630002 05"},
		{"(ty)", []any{uint64(1), byte(2)}, "0100000000000000 0200000000000000"},
		{"mu", Maybe{}, ""},
		{"mu", Maybe{Valid: true, Value: uint32(7)}, "07000000"},
		{"ms", Maybe{Valid: true, Value: "x"}, "780000"},
		{"v", NewVariant("b", true), "010062"},
		{"ab", []any{true, false}, "0100"},
		{"{sv}", DictEntry{"a", NewVariant("u", uint32(1))}, "6100000000000000 01000000 0075 02"},
	}
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			ty := MustType(tc.typ)
			got, err := Marshal(ty, tc.val)
			if err != nil {
				t.Fatal(err)
			}
			want := mustHex(t, stripSpaces(tc.hex))
			if !bytes.Equal(got, want) {
				t.Fatalf("got %x, want %x", got, want)
			}
			back, err := Unmarshal(ty, got)
			if err != nil {
				t.Fatal(err)
			}
			again := MustMarshal(ty, back)
			if !bytes.Equal(again, got) {
				t.Errorf("re-encode %x != %x", again, got)
			}
		})
	}
}

func stripSpaces(s string) string {
	return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil))
}

func TestOffsetWidths(t *testing.T) {
	// 300 one-byte strings need 2-byte offsets: body 600 + 2*300 > 255.
	var elems []string
	for i := 0; i < 300; i++ {
		elems = append(elems, "a")
	}
	ty := MustType("as")
	b := MustMarshal(ty, elems)
	if len(b) != 600+600 {
		t.Fatalf("len %d", len(b))
	}
	back, err := Unmarshal(ty, b)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(back.([]any)); n != 300 {
		t.Fatalf("decoded %d elements", n)
	}
	// Boundary: body + n offsets == 255 uses width 1.
	s := string(bytes.Repeat([]byte{'x'}, 251))
	b = MustMarshal(MustType("(ss)"), []any{s, "a"})
	if len(b) != 255 {
		t.Fatalf("(ss) len %d", len(b))
	}
}

func TestRejectsNonNormal(t *testing.T) {
	tests := []struct {
		name, typ, hex string
	}{
		{"bool 2", "b", "02"},
		{"string without NUL", "s", "61"},
		{"string inner NUL", "s", "610000"},
		{"bad utf8", "s", "ff00"},
		{"nonzero padding", "(ty)", "0100000000000000 0201000000000000"},
		{"short fixed", "(uuu)", "00000000"},
		{"fixed array remainder", "au", "000000"},
		{"offset out of range", "as", "6100 09"},
		{"wide offsets", "as", "6100 0200"},
		{"trailing garbage tuple", "(su)", "6100000001000000ff"},
		{"variant no sep", "v", "01"},
		{"variant bad type", "v", "01007a"},
		{"unit tuple", "()", "01"},
		{"maybe no zero", "ms", "7801"},
		{"decreasing offsets", "as", "610062000402"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Unmarshal(MustType(tc.typ), mustHex(t, stripSpaces(tc.hex)))
			if err == nil {
				t.Fatalf("accepted %s", tc.hex)
			}
		})
	}
	_, err := Unmarshal(MustType("b"), []byte{2})
	if !errors.Is(err, ErrNotNormal) {
		t.Errorf("error %v is not ErrNotNormal", err)
	}
}

func TestMarshalTypeErrors(t *testing.T) {
	for _, tc := range []struct {
		typ string
		v   any
	}{
		{"u", "x"}, {"s", "a\x00b"}, {"(ss)", []any{"a"}}, {"as", 5}, {"v", 1},
	} {
		if _, err := Marshal(MustType(tc.typ), tc.v); err == nil {
			t.Errorf("Marshal(%s, %#v) succeeded", tc.typ, tc.v)
		}
	}
}
