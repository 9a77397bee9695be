package composefs

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// node reads the inode nid found at path and, for a directory, its
// subtree. A non-directory met again becomes a hard link to its first
// occurrence; a whiteout stub (character device 0:0) gives nil.
func (rd *reader) node(nid, parent uint64, path string, depth int) (*Node, error) {
	if first, ok := rd.seen[nid]; ok {
		if rd.dirs[nid] {
			return nil, fmt.Errorf("%s: directory inode %d reached twice (loop or directory hard link): %w", path, nid, ErrMalformed)
		}
		return &Node{LinkTo: first}, nil
	}
	if depth > maxDepth {
		return nil, fmt.Errorf("%s: directories nested deeper than %d: %w", path, maxDepth, ErrMalformed)
	}
	ri, err := rd.rawInode(nid, path)
	if err != nil {
		return nil, err
	}
	typ := ri.mode & TypeMask
	if typ == TypeChar && ri.iu == 0 {
		if ri.nlink > 1 {
			return nil, fmt.Errorf("%s: whiteout inode %d with %d links: %w", path, nid, ri.nlink, ErrMalformed)
		}
		if !rd.stubs[nid] { // count and claim a stub once, however often named
			rd.stubs[nid] = true
			if err := rd.claimInode(ri); err != nil {
				return nil, err
			}
			rd.inodes++
		}
		return nil, nil
	}
	if err := rd.claimInode(ri); err != nil {
		return nil, err
	}
	rd.inodes++
	n := &Node{
		Mode: ri.mode, Nlink: ri.nlink, UID: ri.uid, GID: ri.gid, Size: ri.size,
		MtimeSec: ri.sec, MtimeNsec: ri.nsec,
	}
	rd.seen[nid] = n
	switch typ {
	case TypeDir:
		rd.dirs[nid] = true
		if err := rd.readDir(n, ri, parent, depth); err != nil {
			return nil, err
		}
	case TypeChar, TypeBlock:
		n.Rdev = ri.iu
	case TypeSymlink:
		b, err := rd.fileData(ri)
		if err != nil {
			return nil, err
		}
		if bytes.IndexByte(b, 0) >= 0 {
			return nil, fmt.Errorf("%s: symlink target contains NUL: %w", path, ErrMalformed)
		}
		n.SetPayload(string(b))
	case TypeRegular:
		if ri.layout != layoutChunked && ri.size > 0 {
			if n.Content, err = rd.fileData(ri); err != nil {
				return nil, err
			}
		}
	}
	if err := rd.readXattrs(n, ri); err != nil {
		return nil, err
	}
	return n, nil
}

// dirent is one directory entry as stored.
type dirent struct {
	nid   uint64
	ftype uint8
	name  string
}

// readDir reads a directory's entries, checks their order and the "."
// and ".." entries, and reads the children depth first in name order.
func (rd *reader) readDir(n *Node, ri *rawInode, parent uint64, depth int) error {
	var ents []dirent
	for i := uint64(0); i < ri.dataBlocks; i++ {
		blen := min(uint64(blockSize), ri.size-i*blockSize)
		b, err := rd.bytes(uint64(ri.iu)*blockSize+i*blockSize, blen, "directory block")
		if err != nil {
			return fmt.Errorf("%s: %w", ri.path, err)
		}
		if ents, err = parseDirents(ents, b, ri.path); err != nil {
			return err
		}
	}
	if ri.tail > 0 {
		b, err := rd.bytes(ri.tailStart, ri.tail, "inline directory entries")
		if err != nil {
			return fmt.Errorf("%s: %w", ri.path, err)
		}
		if ents, err = parseDirents(ents, b, ri.path); err != nil {
			return err
		}
	}
	dots := 0
	for i, e := range ents {
		if i > 0 && ents[i-1].name >= e.name {
			return fmt.Errorf("%s: entries %q and %q out of order: %w", ri.path, ents[i-1].name, e.name, ErrMalformed)
		}
		if e.name == "." || e.name == ".." {
			want := ri.nid
			if e.name == ".." {
				want = parent
			}
			if e.nid != want || e.ftype != ftDir {
				return fmt.Errorf("%s: entry %q points at inode %d, want directory %d: %w", ri.path, e.name, e.nid, want, ErrMalformed)
			}
			dots++
			continue
		}
		childPath := ri.path + e.name
		if ri.path != "/" {
			childPath = ri.path + "/" + e.name
		}
		c, err := rd.node(e.nid, ri.nid, childPath, depth+1)
		if err != nil {
			return err
		}
		if ft := rd.ftype(e.nid); ft != e.ftype {
			return fmt.Errorf("%s: entry type %d, inode %d has type %d: %w", childPath, e.ftype, e.nid, ft, ErrMalformed)
		}
		if c == nil {
			continue // a whiteout stub
		}
		c.Name = e.name
		n.Children = append(n.Children, c)
	}
	if dots != 2 {
		return fmt.Errorf("%s: missing \".\" or \"..\": %w", ri.path, ErrMalformed)
	}
	return nil
}

// ftype is the on-disk file type of an inode already read.
func (rd *reader) ftype(nid uint64) uint8 {
	b, err := rd.bytes(rd.meta+nid*slotSize, compactSize, "")
	if err != nil {
		return ftUnknown
	}
	return fileType(uint32(binary.LittleEndian.Uint16(b[4:])))
}

// parseDirents appends the entries of one block (or inline tail): n
// dirents of 12 bytes, then their names without terminators; the last
// name ends at the first NUL or the end of the block.
func parseDirents(ents []dirent, b []byte, path string) ([]dirent, error) {
	le := binary.LittleEndian
	bad := func(why string, args ...any) error {
		return fmt.Errorf("%s: directory entries: %s: %w", path, fmt.Sprintf(why, args...), ErrMalformed)
	}
	if len(b) < direntSize {
		return nil, bad("block of %d bytes", len(b))
	}
	first := int(le.Uint16(b[8:]))
	if first%direntSize != 0 || first == 0 || first > len(b) {
		return nil, bad("first name offset %d", first)
	}
	count := first / direntSize
	for i := 0; i < count; i++ {
		d := b[i*direntSize:]
		start := int(le.Uint16(d[8:]))
		end := len(b)
		if i+1 < count {
			end = int(le.Uint16(b[(i+1)*direntSize+8:]))
		} else if z := bytes.IndexByte(b[min(start, len(b)):], 0); z >= 0 {
			end = start + z
		}
		if start < first || end <= start || end > len(b) {
			return nil, bad("name offsets %d..%d", start, end)
		}
		name := string(b[start:end])
		if name != "." && name != ".." {
			if err := checkName(name); err != nil {
				return nil, bad("%v", err)
			}
		}
		ents = append(ents, dirent{nid: le.Uint64(d[0:]), ftype: d[10], name: name})
	}
	return ents, nil
}
