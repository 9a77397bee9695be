package checkout

import (
	"encoding/binary"

	"github.com/gostree/gostree/internal/object"
)

// parseDirTreeFast decodes a dirtree (a(say)a(sayay)) without the
// generic GVariant decoder. It returns ok false on anything unusual, and
// the caller then uses object.UnmarshalDirTree, which validates fully
// and words the error. Entry names are validated again before use.
func parseDirTreeFast(b []byte) (object.DirTree, bool) {
	var t object.DirTree
	if len(b) == 0 {
		return t, false
	}
	w := offsetSize(len(b))
	if len(b) < w {
		return t, false
	}
	end0 := readOffset(b[len(b)-w:])
	if end0 < 0 || end0 > len(b)-w {
		return t, false
	}
	files, ok := splitArray(b[:end0])
	if !ok {
		return t, false
	}
	dirs, ok := splitArray(b[end0 : len(b)-w])
	if !ok {
		return t, false
	}
	t.Files = make([]object.TreeFile, 0, len(files))
	for _, e := range files {
		if len(e) == 0 {
			return t, false
		}
		ew := offsetSize(len(e))
		if len(e) < ew {
			return t, false
		}
		sEnd := readOffset(e[len(e)-ew:])
		if sEnd < 1 || sEnd > len(e)-ew || e[sEnd-1] != 0 || len(e)-ew-sEnd != 32 {
			return t, false
		}
		var c object.Checksum
		copy(c[:], e[sEnd:len(e)-ew])
		t.Files = append(t.Files, object.TreeFile{Name: string(e[:sEnd-1]), Checksum: c})
	}
	t.Dirs = make([]object.TreeDir, 0, len(dirs))
	for _, e := range dirs {
		if len(e) == 0 {
			return t, false
		}
		ew := offsetSize(len(e))
		if len(e) < 2*ew {
			return t, false
		}
		sEnd := readOffset(e[len(e)-ew:])
		treeEnd := readOffset(e[len(e)-2*ew : len(e)-ew])
		if sEnd < 1 || sEnd > len(e) || e[sEnd-1] != 0 || treeEnd-sEnd != 32 || len(e)-2*ew-treeEnd != 32 {
			return t, false
		}
		var tree, meta object.Checksum
		copy(tree[:], e[sEnd:treeEnd])
		copy(meta[:], e[treeEnd:len(e)-2*ew])
		t.Dirs = append(t.Dirs, object.TreeDir{Name: string(e[:sEnd-1]), Tree: tree, Meta: meta})
	}
	return t, sortedAndDisjoint(t)
}

// sortedAndDisjoint reports whether both lists are strictly sorted and
// no name is both a file and a directory (say a symlink "x" and a
// directory "x", whose files would be written through the link).
func sortedAndDisjoint(t object.DirTree) bool {
	for i := 1; i < len(t.Files); i++ {
		if t.Files[i-1].Name >= t.Files[i].Name {
			return false
		}
	}
	for i := 1; i < len(t.Dirs); i++ {
		if t.Dirs[i-1].Name >= t.Dirs[i].Name {
			return false
		}
	}
	for i, j := 0, 0; i < len(t.Files) && j < len(t.Dirs); {
		switch f, d := t.Files[i].Name, t.Dirs[j].Name; {
		case f == d:
			return false
		case f < d:
			i++
		default:
			j++
		}
	}
	return true
}

// splitArray splits an array of variable-size, byte-aligned elements.
func splitArray(b []byte) ([][]byte, bool) {
	if len(b) == 0 {
		return nil, true
	}
	w := offsetSize(len(b))
	last := readOffset(b[len(b)-w:])
	if last < 0 || last > len(b)-w || (len(b)-last)%w != 0 {
		return nil, false
	}
	n := (len(b) - last) / w
	out := make([][]byte, n)
	start := 0
	for i := range n {
		end := readOffset(b[last+i*w : last+(i+1)*w])
		if end < start || end > last {
			return nil, false
		}
		out[i] = b[start:end]
		start = end
	}
	return out, true
}

// offsetSize is the framing offset width GVariant uses for a container
// of n bytes.
func offsetSize(n int) int {
	switch {
	case n <= 0xff:
		return 1
	case n <= 0xffff:
		return 2
	case uint64(n) <= 0xffffffff:
		return 4
	}
	return 8
}

func readOffset(b []byte) int {
	switch len(b) {
	case 1:
		return int(b[0])
	case 2:
		return int(binary.LittleEndian.Uint16(b))
	case 4:
		return int(binary.LittleEndian.Uint32(b))
	}
	v := binary.LittleEndian.Uint64(b)
	if v > 1<<62 {
		return -1
	}
	return int(v)
}
