package composefs

import (
	"encoding/binary"
	"fmt"
)

// rawInode is an on-disk inode header, compact or extended.
type rawInode struct {
	nid, off   uint64
	layout     uint16
	icount     uint16
	mode       uint32
	nlink      uint32
	size       uint64
	iu         uint32
	uid, gid   uint32
	sec        int64
	nsec       uint32
	isize      uint64 // 32 or 64
	xsize      uint64
	path       string
	tailStart  uint64 // offset of the inline tail
	tail       uint64 // inline bytes after the xattrs
	dataBlocks uint64 // full blocks at iu
}

func (rd *reader) rawInode(nid uint64, path string) (*rawInode, error) {
	le := binary.LittleEndian
	off := rd.meta + nid*slotSize
	if nid > uint64(len(rd.data))/slotSize {
		return nil, fmt.Errorf("%s: inode %d beyond the image: %w", path, nid, ErrMalformed)
	}
	b, err := rd.bytes(off, compactSize, "inode")
	if err != nil {
		return nil, fmt.Errorf("%s: inode %d: %w", path, nid, err)
	}
	ri := &rawInode{nid: nid, off: off, path: path}
	format := le.Uint16(b[0:])
	if format&^0xf != 0 {
		return nil, fmt.Errorf("%s: inode %d: unknown format bits %#x: %w", path, nid, format, ErrMalformed)
	}
	ri.layout = format >> 1 & 7
	ri.icount = le.Uint16(b[2:])
	ri.mode = uint32(le.Uint16(b[4:]))
	if format&1 == 0 {
		ri.isize = compactSize
		ri.nlink = uint32(le.Uint16(b[6:]))
		ri.size = uint64(le.Uint32(b[8:]))
		ri.iu = le.Uint32(b[16:])
		ri.uid, ri.gid = uint32(le.Uint16(b[24:])), uint32(le.Uint16(b[26:]))
		ri.sec, ri.nsec = rd.buildSec, rd.buildNsec
	} else {
		ri.isize = extendedSize
		if b, err = rd.bytes(off, extendedSize, "inode"); err != nil {
			return nil, fmt.Errorf("%s: inode %d: %w", path, nid, err)
		}
		ri.size = le.Uint64(b[8:])
		ri.iu = le.Uint32(b[16:])
		ri.uid, ri.gid = le.Uint32(b[24:]), le.Uint32(b[28:])
		ri.sec, ri.nsec = int64(le.Uint64(b[32:])), le.Uint32(b[40:])
		ri.nlink = le.Uint32(b[44:])
	}
	if !validMode(ri.mode) {
		return nil, fmt.Errorf("%s: inode %d: invalid mode %o: %w", path, nid, ri.mode, ErrMalformed)
	}
	if ri.icount > 0 {
		ri.xsize = xattrHdrSize + 4*uint64(ri.icount-1)
	}
	ri.tailStart = off + ri.isize + ri.xsize
	return ri, ri.place()
}

// place works out where an inode's data lives from its type, layout and
// size, and checks it is one libcomposefs can have written.
func (ri *rawInode) place() error {
	bad := func(why string, args ...any) error {
		return fmt.Errorf("%s: inode %d: %s: %w", ri.path, ri.nid, fmt.Sprintf(why, args...), ErrMalformed)
	}
	typ := ri.mode & TypeMask
	switch ri.layout {
	case layoutPlain, layoutInline:
	case layoutChunked:
		if typ != TypeRegular {
			return bad("chunk-based %o", ri.mode)
		}
		if ri.iu&0xffff&^maxChunkBits != 0 {
			return bad("unsupported chunk format %#x", ri.iu&0xffff)
		}
		if _, n := chunking(ri.size); n > maxChunks {
			return bad("file of %d bytes", ri.size)
		}
		return nil
	default:
		return bad("unsupported data layout %d", ri.layout)
	}
	switch typ {
	case TypeDir:
		if ri.size == 0 {
			return bad("empty directory data")
		}
	case TypeRegular:
		if ri.size > MaxInlineContent {
			return bad("inline file of %d bytes (at most %d)", ri.size, MaxInlineContent)
		}
	case TypeSymlink:
		if ri.size == 0 || ri.size > MaxPayloadLen {
			return bad("symlink target of %d bytes", ri.size)
		}
	default:
		if ri.layout != layoutPlain {
			return bad("special file with inline data")
		}
		return nil
	}
	ri.dataBlocks = (ri.size + blockSize - 1) / blockSize
	if ri.layout == layoutInline {
		ri.tail = ri.size % blockSize
		if ri.tail == 0 {
			return bad("inline layout with a block-sized tail")
		}
		ri.dataBlocks--
		if ri.tailStart/blockSize != (ri.tailStart+ri.tail-1)/blockSize {
			return bad("inline data crosses a block boundary")
		}
	}
	return nil
}

// claimInode reserves the inode, its xattrs, its inline tail and its
// data blocks.
func (rd *reader) claimInode(ri *rawInode) error {
	err := rd.claim(ri.off, ri.isize+ri.xsize+ri.tail, "inode")
	if err == nil && ri.dataBlocks > 0 {
		if ri.dataBlocks > uint64(len(rd.data))/blockSize {
			err = fmt.Errorf("%d data blocks: %w", ri.dataBlocks, ErrMalformed)
		} else {
			err = rd.claim(uint64(ri.iu)*blockSize, ri.dataBlocks*blockSize, "data")
		}
	}
	if err != nil {
		return fmt.Errorf("%s: inode %d: %w", ri.path, ri.nid, err)
	}
	return nil
}

// fileData returns the blocks then the inline tail of a flat inode.
func (rd *reader) fileData(ri *rawInode) ([]byte, error) {
	out := make([]byte, 0, ri.size)
	if ri.dataBlocks > 0 {
		n := min(ri.dataBlocks*blockSize, ri.size)
		b, err := rd.bytes(uint64(ri.iu)*blockSize, n, "data")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ri.path, err)
		}
		out = append(out, b...)
	}
	if ri.tail > 0 {
		b, err := rd.bytes(ri.tailStart, ri.tail, "inline data")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ri.path, err)
		}
		out = append(out, b...)
	}
	return out, nil
}
