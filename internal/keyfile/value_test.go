package keyfile

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestString(t *testing.T) {
	tests := []struct {
		raw, want string
	}{
		{`plain`, "plain"},
		{`\sx`, " x"},
		{`a\nb\tc\rd\\e`, "a\nb\tc\rd\\e"},
		{`a\;b`, `a\;b`}, // \; is only an escape in lists
		{`a\xb`, `a\xb`}, // GLib 2.74 keeps unknown escapes
		{`ab\`, "ab"},    // and drops a trailing backslash
		{`\\s`, `\s`},
		{`x  `, "x  "},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			f := New()
			f.SetValue("g", "k", tc.raw)
			got, ok := f.String("g", "k")
			if got != tc.want || !ok {
				t.Errorf("String() = %q, %v; want %q, true", got, ok, tc.want)
			}
		})
	}
	if _, ok := New().String("g", "k"); ok {
		t.Error("String of a missing key: ok = true")
	}
}

func TestSetString(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"plain", "plain"},
		{"  two", `\s\stwo`},
		{"\t\tx\ty", `\t\tx` + "\ty"},
		{" \t x y ", `\s\t\sx y `},
		{"a\nb", `a\nb`},
		{" \n x", `\s\n\sx`}, // a newline does not end the leading spaces
		{"a\rb", `a\rb`},
		{`a\b`, `a\\b`},
		{`\ x`, `\\ x`}, // a backslash does
		{"a;b;", "a;b;"},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			f := New()
			f.SetString("g", "k", tc.in)
			if got, _ := f.Value("g", "k"); got != tc.want {
				t.Errorf("raw value = %q, want %q", got, tc.want)
			}
			if got, _ := f.String("g", "k"); got != tc.in {
				t.Errorf("String() = %q, want %q", got, tc.in)
			}
		})
	}
}

func TestStringList(t *testing.T) {
	tests := []struct {
		raw  string
		want []string
	}{
		{"a;b;c", []string{"a", "b", "c"}},
		{"a;b;", []string{"a", "b"}},
		{"", []string{}},
		{";", []string{""}},
		{";;", []string{"", ""}},
		{"a;;b", []string{"a", "", "b"}},
		{`a\;b;c;`, []string{"a;b", "c"}},
		{`\sx;\ty;a\nb;`, []string{" x", "\ty", "a\nb"}},
		{`\;`, []string{";"}},
		{`a\xb;`, []string{`a\xb`}},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			f := New()
			f.SetValue("g", "k", tc.raw)
			got, ok := f.StringList("g", "k")
			if diff := cmp.Diff(tc.want, got); diff != "" || !ok {
				t.Errorf("StringList() ok=%v, mismatch (-want +got):\n%s", ok, diff)
			}
		})
	}
	if got, ok := New().StringList("g", "k"); got != nil || ok {
		t.Errorf("StringList of a missing key = %q, %v; want nil, false", got, ok)
	}
}

func TestSetStringList(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want string
	}{
		{"plain", []string{"a", "b"}, "a;b;"},
		{"empty", nil, ""},
		{"one empty", []string{""}, ";"},
		{"semicolons", []string{"a;b", " x; y"}, `a\;b;\sx\;\sy;`},
		{"escapes", []string{"a\nb", `\`, "\tt"}, `a\nb;\\;\tt;`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := New()
			f.SetStringList("g", "k", tc.in)
			if got, _ := f.Value("g", "k"); got != tc.want {
				t.Errorf("raw value = %q, want %q", got, tc.want)
			}
			got, _ := f.StringList("g", "k")
			if diff := cmp.Diff(tc.in, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("StringList() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBool(t *testing.T) {
	tests := []struct {
		raw     string
		want    bool
		wantErr bool
	}{
		{"true", true, false},
		{"1", true, false},
		{"false", false, false},
		{"0", false, false},
		{"true \t", true, false},
		{"True", false, true},
		{"yes", false, true},
		{"truex", false, true},
		{"", false, true},
		{"10", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			f := New()
			f.SetValue("core", "fsync", tc.raw)
			got, err := f.Bool("core", "fsync", true)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), `key "fsync" in group "core"`) {
					t.Errorf("Bool() error = %v, want one naming the key and group", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Bool() = %v, %v; want %v, nil", got, err, tc.want)
			}
		})
	}
	for _, def := range []bool{false, true} {
		if got, err := New().Bool("core", "fsync", def); got != def || err != nil {
			t.Errorf("Bool of a missing key = %v, %v; want %v, nil", got, err, def)
		}
	}
	f := New()
	f.SetBool("g", "t", true)
	f.SetBool("g", "f", false)
	if got := string(f.Bytes()); got != "[g]\nt=true\nf=false\n" {
		t.Errorf("SetBool wrote %q", got)
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		raw     string
		want    int64
		wantErr bool
	}{
		{"42", 42, false},
		{"-7", -7, false},
		{"+3", 3, false},
		{" \t5", 5, false},
		{"007", 7, false},
		{"9223372036854775807", 9223372036854775807, false},
		{"-9223372036854775808", -9223372036854775808, false},
		{"9223372036854775808", 0, true}, // GLib clamps; we refuse
		{"5 ", 0, true},
		{"1e3", 0, true},
		{"0x10", 0, true},
		{"", 0, true},
		{"-", 0, true},
		{"+-1", 0, true},
		{"1_000", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			f := New()
			f.SetValue("core", "n", tc.raw)
			got, err := f.Int("core", "n", 99)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), `key "n" in group "core"`) {
					t.Errorf("Int() = %d, %v; want an error naming the key and group", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Int() = %d, %v; want %d, nil", got, err, tc.want)
			}
		})
	}
	if got, err := New().Int("core", "n", 99); got != 99 || err != nil {
		t.Errorf("Int of a missing key = %d, %v; want 99, nil", got, err)
	}
}
