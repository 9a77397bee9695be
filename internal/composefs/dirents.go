package composefs

import "encoding/binary"

// dirents writes a directory's entries: with blocks, its full blocks
// (each zero-padded to the block size); otherwise its inline tail. The
// entries are split into blocks greedily, in name order, the same way
// sizeTail counted them.
func (iw *imageWriter) dirents(w *wnode, blocks bool) {
	var used uint64
	first, written := 0, uint64(0)
	for i, c := range w.children {
		n := uint64(direntSize + len(c.name))
		if used+n > blockSize {
			if blocks {
				iw.direntGroup(w.children[first:i], blockSize)
			}
			written++
			used = 0
			first = i
		}
		used += n
	}
	if written < w.nblocks {
		// The last group was moved out of the inode.
		if blocks {
			iw.direntGroup(w.children[first:], blockSize)
		}
		return
	}
	if !blocks && used > 0 {
		iw.direntGroup(w.children[first:], 1)
	}
}

// direntGroup writes one group: the 12-byte dirents, then the names
// with no terminators, padded to align.
func (iw *imageWriter) direntGroup(kids []*wnode, align uint64) {
	le := binary.LittleEndian
	nameoff := uint16(len(kids) * direntSize)
	d := iw.buf[:direntSize]
	for _, c := range kids {
		t, err := c.target()
		if err != nil {
			if iw.err == nil {
				iw.err = err
			}
			return
		}
		le.PutUint64(d[0:], t.nid)
		le.PutUint16(d[8:], nameoff)
		d[10] = fileType(t.mode)
		d[11] = 0
		iw.put(d)
		nameoff += uint16(len(c.name))
	}
	for _, c := range kids {
		iw.putString(c.name)
	}
	iw.align(align)
}

// fileBlocks writes the data blocks of a symlink or inline file whose
// tail did not fit next to its inode, or the block holding the chunk map
// of an external file whose map did not.
func (iw *imageWriter) fileBlocks(w *wnode) {
	if w.nblocks == 0 {
		return
	}
	var data []byte
	switch w.typ() {
	case TypeRegular:
		if w.content == nil {
			// libcomposefs writes a full block of holes whatever the
			// chunk count.
			iw.nullChunks(blockSize / 4)
			return
		}
		data = w.content
	case TypeSymlink:
		data = []byte(w.payload)
	default:
		return
	}
	for i := uint64(0); i < w.nblocks; i++ {
		lo := min(i*blockSize, uint64(len(data)))
		hi := min(lo+blockSize, uint64(len(data)))
		iw.put(data[lo:hi])
		iw.align(blockSize)
	}
}
