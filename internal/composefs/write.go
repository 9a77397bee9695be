package composefs

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/gostree/gostree/internal/errdefs"
)

// Options selects the format version, with mkcomposefs's
// --min-version/--max-version meaning: the image is written as Version,
// or as 1 when MaxVersion >= 1 and the tree has a whiteout. mkcomposefs
// and libostree use Version 0, MaxVersion 1; the zero Options write
// version 0 always.
type Options struct {
	Version    int
	MaxVersion int
}

// WriteImage writes the composefs image of the tree at root to w. The
// bytes are those libcomposefs writes for the same tree and options.
// root is not modified.
func WriteImage(w io.Writer, root *Node, opts Options) error {
	if opts.Version < 0 || opts.Version > maxVersion || opts.MaxVersion < 0 || opts.MaxVersion > maxVersion {
		return fmt.Errorf("composefs version %d..%d: supported are 0 and 1: %w", opts.Version, opts.MaxVersion, errdefs.ErrInvalid)
	}
	wroot, err := cloneTree(root)
	if err != nil {
		return err
	}
	version := effectiveVersion(wroot, opts.Version, max(opts.MaxVersion, opts.Version))
	if err := rewriteForOverlay(wroot, version); err != nil {
		return err
	}
	l := &layout{composefsVer: version}
	l.order(wroot)
	l.shareXattrs()
	if err := l.place(); err != nil {
		return err
	}
	iw := &imageWriter{w: bufio.NewWriterSize(w, 1<<16), l: l}
	if err := iw.write(); err != nil {
		return err
	}
	return iw.w.Flush()
}

// imageWriter emits a placed layout, counting bytes so that every
// offset the layout promised is checked as it is written.
type imageWriter struct {
	w   *bufio.Writer
	l   *layout
	off uint64
	end uint64 // next free data block offset
	err error
	// Scratch space for what is put: a local array passed to the
	// bufio.Writer would escape, one allocation each time.
	buf [extendedSize]byte
	tmp [xattrHdrSize]byte
}

func (iw *imageWriter) put(b []byte) {
	if iw.err != nil {
		return
	}
	_, iw.err = iw.w.Write(b)
	iw.off += uint64(len(b))
}

// putString is put without converting s to a new []byte.
func (iw *imageWriter) putString(s string) {
	if iw.err != nil {
		return
	}
	_, iw.err = iw.w.WriteString(s)
	iw.off += uint64(len(s))
}

// putUint32 puts v little-endian.
func (iw *imageWriter) putUint32(v uint32) {
	binary.LittleEndian.PutUint32(iw.tmp[:4], v)
	iw.put(iw.tmp[:4])
}

var zeros [blockSize]byte

// ones is a block of 0xff bytes: a chunk map of holes.
var ones = func() (b [blockSize]byte) {
	for i := range b {
		b[i] = 0xff
	}
	return b
}()

func (iw *imageWriter) pad(n uint64) {
	for n > 0 {
		k := min(n, blockSize)
		iw.put(zeros[:k])
		n -= k
	}
}

func (iw *imageWriter) align(a uint64) { iw.pad(roundUp(iw.off, a) - iw.off) }

// check makes sure that what (of node w, if not nil) starts or ends at
// want; the message is built only when it does not.
func (iw *imageWriter) check(what string, w *wnode, want uint64) {
	if iw.err == nil && iw.off != want {
		if w != nil {
			what += " " + w.pathname()
		}
		iw.err = fmt.Errorf("composefs: internal error: %s at offset %d, expected %d", what, iw.off, want)
	}
}

func (iw *imageWriter) write() error {
	l := iw.l
	le := binary.LittleEndian
	var hdr [superOffset + superSize]byte
	le.PutUint32(hdr[0:], cfsMagic)
	le.PutUint32(hdr[4:], cfsHeaderVer)
	if l.hasACL {
		le.PutUint32(hdr[8:], cfsFlagHasACL)
	}
	le.PutUint32(hdr[12:], uint32(l.composefsVer))
	sb := hdr[superOffset:]
	le.PutUint32(sb[0:], erofsMagic)
	le.PutUint32(sb[8:], featureCompat)
	sb[12] = blockBits
	le.PutUint16(sb[14:], uint16(l.nodes[0].nid))
	le.PutUint64(sb[16:], uint64(len(l.nodes)))
	le.PutUint64(sb[24:], uint64(l.minSec))
	le.PutUint32(sb[32:], l.minNsec)
	le.PutUint32(sb[36:], uint32(l.dataStart/blockSize+l.nDataBlocks))
	le.PutUint32(sb[40:], metaStart/blockSize)
	le.PutUint32(sb[44:], uint32(l.inodesEnd/blockSize))
	iw.put(hdr[:])

	iw.end = l.dataStart
	for _, w := range l.nodes {
		iw.pad(w.ipad)
		iw.check("inode", w, w.nid*slotSize)
		if err := iw.inode(w); err != nil {
			return err
		}
	}
	iw.align(slotSize)
	iw.check("shared xattrs", nil, l.inodesEnd)
	for _, x := range l.shared {
		iw.xattr(x)
	}
	iw.align(blockSize)
	iw.check("data blocks", nil, l.dataStart)
	for _, w := range l.nodes {
		if w.typ() == TypeDir {
			iw.dirents(w, true)
		}
		iw.fileBlocks(w)
	}
	iw.check("end of image", nil, l.dataStart+l.nDataBlocks*blockSize)
	return iw.err
}

// inode writes one inode, its xattrs and its inline tail.
func (iw *imageWriter) inode(w *wnode) error {
	le := binary.LittleEndian
	typ := w.typ()
	layoutKind := uint16(layoutPlain)
	if w.tail > 0 {
		layoutKind = layoutInline
	}
	var size uint64
	var iu uint32
	blkaddr := func() {
		if w.nblocks > 0 {
			iu = uint32(iw.end / blockSize)
			iw.end += w.nblocks * blockSize
		}
	}
	var chunkCount uint64
	switch typ {
	case TypeDir:
		size = w.nblocks*blockSize + w.tail
		blkaddr()
	case TypeRegular:
		size = w.size
		blkaddr()
		if size > 0 && w.content == nil {
			var bits uint32
			bits, chunkCount = chunking(size)
			layoutKind = layoutChunked
			// The chunk format shares i_u with the block address; like
			// libcomposefs, only its low half is overwritten.
			iu = iu&0xffff0000 | (bits - blockBits)
		}
	case TypeSymlink:
		size = w.tail
		if w.nblocks > 0 {
			size = w.size
		}
		blkaddr()
	case TypeChar, TypeBlock:
		iu = w.rdev
	}
	icount := uint16(0)
	if w.xsize > 0 {
		icount = uint16((w.xsize-xattrHdrSize)/4 + 1)
	}
	b := iw.buf[:]
	clear(b)
	if w.compact {
		b = b[:compactSize]
		le.PutUint16(b[0:], layoutKind<<1)
		le.PutUint16(b[2:], icount)
		le.PutUint16(b[4:], uint16(w.mode))
		le.PutUint16(b[6:], uint16(w.nlink))
		le.PutUint32(b[8:], uint32(size))
		le.PutUint32(b[16:], iu)
		le.PutUint32(b[20:], w.ino)
		le.PutUint16(b[24:], uint16(w.uid))
		le.PutUint16(b[26:], uint16(w.gid))
	} else {
		le.PutUint16(b[0:], layoutKind<<1|1)
		le.PutUint16(b[2:], icount)
		le.PutUint16(b[4:], uint16(w.mode))
		le.PutUint64(b[8:], size)
		le.PutUint32(b[16:], iu)
		le.PutUint32(b[20:], w.ino)
		le.PutUint32(b[24:], w.uid)
		le.PutUint32(b[28:], w.gid)
		le.PutUint64(b[32:], uint64(w.mtime))
		le.PutUint32(b[40:], w.nsec)
		le.PutUint32(b[44:], w.nlink)
	}
	iw.put(b)
	if w.xsize > 0 {
		iw.xattrBody(w)
	}
	switch {
	case typ == TypeDir:
		iw.dirents(w, false)
	case typ == TypeSymlink && w.nblocks == 0:
		iw.putString(w.payload)
	case typ == TypeRegular && w.tail > 0 && w.content != nil:
		iw.put(w.content[w.size-w.tail:])
	case typ == TypeRegular && w.tail > 0:
		iw.nullChunks(chunkCount)
	}
	return iw.err
}

func (iw *imageWriter) xattrBody(w *wnode) {
	start := iw.off
	h := iw.tmp[:xattrHdrSize]
	clear(h)
	binary.LittleEndian.PutUint32(h, nameFilter(w.xattrs))
	h[4] = byte(w.nShared)
	iw.put(h)
	for _, x := range w.xattrs {
		if x.shared >= 0 {
			iw.putUint32(uint32((iw.l.inodesEnd%blockSize + uint64(x.shared)) / 4))
		}
	}
	for _, x := range w.xattrs {
		if x.shared < 0 {
			iw.xattr(x)
		}
	}
	iw.check("end of xattrs of", w, start+uint64(w.xsize))
}

func (iw *imageWriter) xattr(x wxattr) {
	idx, suffix := splitXattrKey(x.key)
	e := iw.tmp[:xattrEntSize]
	e[0] = byte(len(suffix))
	e[1] = idx
	binary.LittleEndian.PutUint16(e[2:], uint16(len(x.value)))
	iw.put(e)
	iw.putString(suffix)
	iw.put(x.value)
	iw.align(4)
}

func (iw *imageWriter) nullChunks(n uint64) {
	for n > 0 {
		k := min(n, blockSize/4)
		iw.put(ones[:4*k])
		n -= k
	}
}
