package object

import (
	"fmt"
	"math/bits"

	"github.com/gostree/gostree/internal/gvariant"
)

// DirMeta holds a directory's ownership, mode and xattrs.
type DirMeta struct {
	UID, GID, Mode uint32
	Xattrs         Xattrs
}

var dirMetaType = gvariant.MustType("(uuua(ayay))")

// MarshalDirMeta serializes a dirmeta object; uid, gid and mode are
// big-endian on disk.
func MarshalDirMeta(m DirMeta) []byte {
	return gvariant.MustMarshal(dirMetaType, []any{
		bits.ReverseBytes32(m.UID), bits.ReverseBytes32(m.GID), bits.ReverseBytes32(m.Mode), m.Xattrs.value(),
	})
}

// UnmarshalDirMeta parses and validates a dirmeta object.
func UnmarshalDirMeta(b []byte) (DirMeta, error) {
	v, err := gvariant.Unmarshal(dirMetaType, b)
	if err != nil {
		return DirMeta{}, fmt.Errorf("dirmeta: %w", err)
	}
	f := v.([]any)
	m := DirMeta{
		UID:  bits.ReverseBytes32(f[0].(uint32)),
		GID:  bits.ReverseBytes32(f[1].(uint32)),
		Mode: bits.ReverseBytes32(f[2].(uint32)),
	}
	if m.Xattrs, err = xattrsFromValue(f[3]); err != nil {
		return DirMeta{}, fmt.Errorf("dirmeta: %w", err)
	}
	if err := ValidateDirMode(m.Mode); err != nil {
		return DirMeta{}, fmt.Errorf("dirmeta: %w", err)
	}
	return m, nil
}

// DirTree lists a directory's entries; each slice is sorted by name.
type DirTree struct {
	Files []TreeFile
	Dirs  []TreeDir
}

// TreeFile is a dirtree's file entry.
type TreeFile struct {
	Name     string
	Checksum Checksum
}

// TreeDir is a dirtree's subdirectory entry.
type TreeDir struct {
	Name string
	Tree Checksum
	Meta Checksum
}

var dirTreeType = gvariant.MustType("(a(say)a(sayay))")

// EmptyDirTree is the serialized empty dirtree.
var EmptyDirTree = []byte{0}

// MarshalDirTree serializes a dirtree. Entries must already be sorted by
// name in byte order.
func MarshalDirTree(t DirTree) []byte {
	files := make([]any, len(t.Files))
	for i, f := range t.Files {
		files[i] = []any{f.Name, f.Checksum[:]}
	}
	dirs := make([]any, len(t.Dirs))
	for i, d := range t.Dirs {
		dirs[i] = []any{d.Name, d.Tree[:], d.Meta[:]}
	}
	return gvariant.MustMarshal(dirTreeType, []any{files, dirs})
}

// UnmarshalDirTree parses a dirtree and validates its names, order and
// checksums.
func UnmarshalDirTree(b []byte) (DirTree, error) {
	v, err := gvariant.Unmarshal(dirTreeType, b)
	if err != nil {
		return DirTree{}, fmt.Errorf("dirtree: %w", err)
	}
	f := v.([]any)
	var t DirTree
	names := map[string]bool{}
	prev := ""
	for i, e := range f[0].([]any) {
		p := e.([]any)
		name := p[0].(string)
		c, err := ChecksumFromBytes(p[1].([]byte))
		if err != nil {
			return DirTree{}, fmt.Errorf("dirtree file %q: %w", name, err)
		}
		if err := checkEntry(name, prev, i); err != nil {
			return DirTree{}, err
		}
		prev = name
		names[name] = true
		t.Files = append(t.Files, TreeFile{name, c})
	}
	prev = ""
	for i, e := range f[1].([]any) {
		p := e.([]any)
		name := p[0].(string)
		tree, err := ChecksumFromBytes(p[1].([]byte))
		if err != nil {
			return DirTree{}, fmt.Errorf("dirtree dir %q: %w", name, err)
		}
		meta, err := ChecksumFromBytes(p[2].([]byte))
		if err != nil {
			return DirTree{}, fmt.Errorf("dirtree dir %q: %w", name, err)
		}
		if err := checkEntry(name, prev, i); err != nil {
			return DirTree{}, err
		}
		if names[name] {
			return DirTree{}, fmt.Errorf("dirtree: %q is both a file and a directory", name)
		}
		prev = name
		t.Dirs = append(t.Dirs, TreeDir{name, tree, meta})
	}
	return t, nil
}

func checkEntry(name, prev string, i int) error {
	if err := ValidateFilename(name); err != nil {
		return fmt.Errorf("dirtree: %w", err)
	}
	if i > 0 && name <= prev {
		return fmt.Errorf("dirtree: entries not sorted at %q", name)
	}
	return nil
}
