package keyfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// contents lists every group, key and raw value; it is what must survive
// Bytes and Parse.
func contents(f *File) [][3]string {
	var out [][3]string
	for _, g := range f.Groups() {
		out = append(out, [3]string{g})
		for _, k := range f.Keys(g) {
			v, _ := f.Value(g, k)
			out = append(out, [3]string{g, k, v})
		}
	}
	return out
}

func addSeeds(f *testing.F) {
	inputs, err := filepath.Glob("testdata/golden/*/input")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range inputs {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParse checks that whatever Parse accepts survives Bytes and Parse
// with the same groups, keys and values, that Bytes is then stable, and
// that StripComments keeps the contents too.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		f1, err := Parse(data)
		if err != nil {
			return
		}
		out := f1.Bytes()
		f2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Bytes()) failed: %v\ninput %q\noutput %q", err, data, out)
		}
		if diff := cmp.Diff(contents(f1), contents(f2)); diff != "" {
			t.Fatalf("contents changed (-first +second):\n%s\ninput %q", diff, data)
		}
		if out2 := f2.Bytes(); !bytes.Equal(out, out2) {
			t.Fatalf("Bytes not stable:\nfirst  %q\nsecond %q", out, out2)
		}

		f2.StripComments()
		f3, err := Parse(f2.Bytes())
		if err != nil {
			t.Fatalf("Parse after StripComments failed: %v\noutput %q", err, f2.Bytes())
		}
		if diff := cmp.Diff(contents(f1), contents(f3)); diff != "" {
			t.Fatalf("StripComments changed contents (-want +got):\n%s", diff)
		}
	})
}

// FuzzSetString checks that SetString and SetStringList values read back
// the same, also after Bytes and Parse. GLib does not escape a leading
// form feed, which Parse then drops with the whitespace after it, so such
// values only survive in memory.
func FuzzSetString(f *testing.F) {
	for _, s := range []string{"", "plain", "  lead", "\tx\ny\r\\z", "a;b;", "é \\;", "\v x", "\f x"} {
		f.Add(s, s+";x")
	}
	f.Fuzz(func(t *testing.T, s, item string) {
		if strings.ContainsRune(s+item, 0) {
			return
		}
		list := []string{item, s, ""}
		kf := New()
		kf.SetString("g", "s", s)
		kf.SetStringList("g", "l", list)
		check := func(kf *File, s string, list []string) {
			t.Helper()
			if got, _ := kf.String("g", "s"); got != s {
				t.Errorf("String() = %q, want %q", got, s)
			}
			if got, _ := kf.StringList("g", "l"); !cmp.Equal(got, list, cmpopts.EquateEmpty()) {
				t.Errorf("StringList() = %q, want %q", got, list)
			}
		}
		check(kf, s, list)

		kf, err := Parse(kf.Bytes())
		if err != nil {
			t.Fatalf("Parse(Bytes()): %v", err)
		}
		// Spaces and tabs after the form feed are no longer leading when
		// escaped, so they go too.
		trim := func(s string) string {
			if strings.HasPrefix(s, "\f") {
				return strings.TrimLeft(s, " \t\f")
			}
			return s
		}
		check(kf, trim(s), []string{trim(item), s, ""})
	})
}
