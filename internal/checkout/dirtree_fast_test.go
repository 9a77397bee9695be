package checkout

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gostree/gostree/internal/object"
)

func dirTreeSamples() [][]byte {
	var c1, c2, c3 object.Checksum
	for i := range c1 {
		c1[i], c2[i], c3[i] = byte(i), byte(255-i), byte(i*7)
	}
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'a' + byte(i%26)
	}
	many := object.DirTree{}
	for i := range 400 {
		many.Files = append(many.Files, object.TreeFile{Name: fmt.Sprintf("f%04d-%s", i, long[:i%200]), Checksum: c1})
	}
	return [][]byte{
		object.EmptyDirTree,
		object.MarshalDirTree(object.DirTree{Files: []object.TreeFile{{Name: "a", Checksum: c1}}}),
		object.MarshalDirTree(object.DirTree{Dirs: []object.TreeDir{{Name: "d", Tree: c2, Meta: c3}}}),
		object.MarshalDirTree(object.DirTree{
			Files: []object.TreeFile{{Name: "a", Checksum: c1}, {Name: string(long), Checksum: c2}},
			Dirs:  []object.TreeDir{{Name: "b", Tree: c2, Meta: c3}, {Name: "c" + string(long), Tree: c1, Meta: c1}},
		}),
		object.MarshalDirTree(many),
	}
}

// TestParseDirTreeFastMatches checks the fast decoder against the
// validating one on well-formed dirtrees of every framing width.
func TestParseDirTreeFastMatches(t *testing.T) {
	for i, b := range dirTreeSamples() {
		want, err := object.UnmarshalDirTree(b)
		if err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		got, ok := parseDirTreeFast(b)
		if !ok {
			t.Fatalf("sample %d (%d bytes): fast decoder refused it", i, len(b))
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("sample %d: (-strict +fast)\n%s", i, diff)
		}
	}
}

// FuzzParseDirTreeFast checks that the fast decoder never panics and
// agrees with the validating decoder whenever that one accepts.
func FuzzParseDirTreeFast(f *testing.F) {
	for _, b := range dirTreeSamples() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := parseDirTreeFast(b)
		want, err := object.UnmarshalDirTree(b)
		if err != nil {
			return
		}
		if !ok {
			t.Fatalf("fast decoder refused a valid dirtree")
		}
		if len(got.Files) != len(want.Files) || len(got.Dirs) != len(want.Dirs) {
			t.Fatalf("got %d files %d dirs, want %d, %d", len(got.Files), len(got.Dirs), len(want.Files), len(want.Dirs))
		}
		for i := range got.Files {
			if got.Files[i] != want.Files[i] {
				t.Fatalf("file %d: got %v want %v", i, got.Files[i], want.Files[i])
			}
		}
		for i := range got.Dirs {
			if got.Dirs[i] != want.Dirs[i] {
				t.Fatalf("dir %d: got %v want %v", i, got.Dirs[i], want.Dirs[i])
			}
		}
	})
}
