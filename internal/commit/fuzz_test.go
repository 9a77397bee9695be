package commit

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// FuzzArchiveReader feeds arbitrary bytes to the archive readers: they
// must return entries or errors, never panic or loop.
func FuzzArchiveReader(f *testing.F) {
	f.Add(cpioNewc([5]any{".", 0o40755, 1, 2, ""}, [5]any{"./f", 0o100644, 2, 2, "data"}, [5]any{"./g", 0o100644, 2, 2, ""}))
	f.Add([]byte("070707000000000000000000000000000000000000000000000000000000000000000000000000"))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3})
	f.Add(make([]byte, 1024))
	f.Fuzz(func(t *testing.T, data []byte) {
		ar, err := openArchive(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := 0; i < 1000; i++ {
			e, err := ar.next()
			if err != nil {
				return
			}
			if e.body != nil {
				io.Copy(io.Discard, io.LimitReader(e.body, 1<<20))
			}
		}
	})
}

// FuzzPathRelative checks that accepted archive paths never climb out of
// the tree.
func FuzzPathRelative(f *testing.F) {
	for _, s := range []string{"./a/b", "/../x", "a/../b", "..", "/", "a//./b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		rel, err := pathRelative(p)
		if err != nil {
			return
		}
		comps, err := splitPath(rel)
		if err != nil {
			t.Fatalf("pathRelative(%q) = %q, which does not split: %v", p, rel, err)
		}
		for _, c := range comps {
			if c == ".." || strings.Contains(c, "/") {
				t.Fatalf("pathRelative(%q) = %q has component %q", p, rel, c)
			}
		}
	})
}
