package grubenv

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzRead: Parse never panics, and whatever it accepts survives a
// Marshal/Parse round trip unchanged.
func FuzzRead(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.grubenv")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(Signature + "a=b\\\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Parse(b)
		if err != nil {
			return
		}
		out, err := e.Marshal()
		if err != nil {
			return // a block larger than its size cannot come from Parse, but be lenient
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !reflect.DeepEqual(e.vars, back.vars) {
			t.Fatalf("round trip:\n%q\n%q", e.vars, back.vars)
		}
	})
}
