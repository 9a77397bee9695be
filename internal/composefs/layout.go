package composefs

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
)

// layout is the result of placing a rewritten tree in an image.
type layout struct {
	nodes        []*wnode // breadth first; index = inode number
	minSec       int64
	minNsec      uint32
	hasACL       bool
	shared       []wxattr // shared xattr table, in on-disk order
	sharedSize   uint64
	inodesEnd    uint64
	dataStart    uint64
	nDataBlocks  uint64
	composefsVer int
}

// order numbers the inodes breadth first (hard links are not inodes),
// fixes directory link counts, sorts xattrs and finds the oldest mtime,
// which becomes the superblock's build time.
func (l *layout) order(root *wnode) {
	l.nodes = []*wnode{root}
	l.minSec, l.minNsec = root.mtime, root.nsec
	for i := 0; i < len(l.nodes); i++ {
		w := l.nodes[i]
		w.ino = uint32(i)
		if w.typ() == TypeDir {
			n := uint32(2)
			for _, c := range w.children {
				if c.link == nil && c.typ() == TypeDir {
					n++
				}
			}
			w.nlink = n
		}
		if len(w.xattrs) > 1 {
			slices.SortFunc(w.xattrs, func(a, b wxattr) int { return strings.Compare(a.key, b.key) })
		}
		if w.mtime < l.minSec || w.mtime == l.minSec && w.nsec < l.minNsec {
			l.minSec, l.minNsec = w.mtime, w.nsec
		}
		for _, x := range w.xattrs {
			if x.key == aclAccess || x.key == aclDefault {
				l.hasACL = true
			}
		}
		for _, c := range w.children {
			if c.link == nil {
				l.nodes = append(l.nodes, c)
			}
		}
	}
}

// shareXattrs puts every (key, value) pair used by more than one inode
// in the shared table, ordered by key, then value length, then value,
// all descending, and marks which xattrs of each inode refer to it.
func (l *layout) shareXattrs() {
	type entry struct {
		x     wxattr
		count int
		off   int64
	}
	// Pairs are found by key, then value: few keys, and looking a value
	// up as string(value) does not allocate. refs are each xattr's pair
	// in node order, for the second pass.
	total := 0
	for _, w := range l.nodes {
		total += len(w.xattrs)
	}
	byKey := map[string]map[string]int{}
	entries := make([]entry, 0, total)
	refs := make([]int, 0, total)
	for _, w := range l.nodes {
		for _, x := range w.xattrs {
			byValue := byKey[x.key]
			if byValue == nil {
				byValue = map[string]int{}
				byKey[x.key] = byValue
			}
			i, ok := byValue[string(x.value)]
			if !ok {
				i = len(entries)
				entries = append(entries, entry{x: x, off: -1})
				byValue[string(x.value)] = i
			}
			entries[i].count++
			refs = append(refs, i)
		}
	}
	var multi []*entry
	for i := range entries {
		if entries[i].count > 1 {
			multi = append(multi, &entries[i])
		}
	}
	slices.SortFunc(multi, func(a, b *entry) int {
		if c := strings.Compare(b.x.key, a.x.key); c != 0 {
			return c
		}
		if c := cmp.Compare(len(b.x.value), len(a.x.value)); c != 0 {
			return c
		}
		return bytes.Compare(b.x.value, a.x.value)
	})
	var off uint64
	for _, e := range multi {
		e.off = int64(off)
		l.shared = append(l.shared, e.x)
		off += uint64(xattrEntryLen(e.x.key, len(e.x.value)))
	}
	l.sharedSize = off
	for _, w := range l.nodes {
		w.nShared = 0
		for i := range w.xattrs {
			e := &entries[refs[0]]
			refs = refs[1:]
			w.xattrs[i].shared = -1
			if e.off >= 0 && w.nShared < maxSharedRefs {
				w.xattrs[i].shared = e.off
				w.nShared++
			}
		}
	}
}

// place assigns each inode its offset (nid), deciding compact or
// extended form and whether its tail (directory entries, symlink target,
// inline content or chunk map) is inlined or moved to a data block.
func (l *layout) place() error {
	pos := uint64(metaStart)
	for _, w := range l.nodes {
		w.sizeTail()
		w.compact = l.fitsCompact(w)
		isize := uint64(extendedSize)
		if w.compact {
			isize = compactSize
		}
		inl := 0
		for _, x := range w.xattrs {
			if x.shared < 0 {
				inl += xattrEntryLen(x.key, len(x.value))
			}
		}
		w.xsize = 0
		if len(w.xattrs) > 0 {
			w.xsize = roundUp(xattrHdrSize+4*w.nShared+inl, 4)
		}
		if (w.xsize-xattrHdrSize)/4+1 > 0xffff {
			return fmt.Errorf("%s: too many xattrs: %w", w.pathname(), errdefs.ErrInvalid)
		}
		start := roundUp(pos, slotSize)
		pad := w.tailPadding(start, isize+uint64(w.xsize))
		w.ipad = start - pos + pad
		pos = start + pad
		w.nid = pos / slotSize
		l.nDataBlocks += w.nblocks
		pos += isize + uint64(w.xsize) + w.tail
	}
	l.inodesEnd = roundUp(pos, slotSize)
	l.dataStart = roundUp(l.inodesEnd+l.sharedSize, blockSize)
	if root := l.nodes[0]; root.nid > 0xffff {
		return fmt.Errorf("root inode beyond the 16-bit root nid: %w", errdefs.ErrInvalid)
	}
	if (l.dataStart/blockSize + l.nDataBlocks) > 0xffffffff {
		return fmt.Errorf("image larger than 2^32 blocks: %w", errdefs.ErrInvalid)
	}
	return nil
}

// sizeTail computes how many full data blocks the inode needs and how
// many bytes follow it inline.
func (w *wnode) sizeTail() {
	w.nblocks, w.tail = 0, 0
	switch w.typ() {
	case TypeDir:
		var used uint64
		for _, c := range w.children {
			n := uint64(direntSize + len(c.name))
			if used+n > blockSize {
				w.nblocks++
				used = 0
			}
			used += n
		}
		// Never inline more than half a block.
		if used > blockSize/2 {
			w.nblocks++
			used = 0
		}
		w.tail = used
	case TypeSymlink:
		w.tail = uint64(len(w.payload))
	case TypeRegular:
		switch {
		case w.size == 0:
		case w.content != nil:
			w.nblocks, w.tail = w.size/blockSize, w.size%blockSize
			if w.tail > blockSize/2 {
				w.nblocks++
				w.tail = 0
			}
		default:
			_, n := chunking(w.size)
			w.tail = 4 * n
		}
	}
}

func (l *layout) fitsCompact(w *wnode) bool {
	if w.mtime != l.minSec || w.nsec != l.minNsec {
		return false
	}
	if w.nlink > 0xffff || w.uid > 0xffff || w.gid > 0xffff {
		return false
	}
	size := w.size
	if w.typ() == TypeDir {
		size = w.nblocks*blockSize + w.tail
	}
	return size <= 0xffffffff
}

// tailPadding is the padding before an inode at pos (whose inode and
// xattrs take head bytes) that keeps its inline tail inside one block;
// when that is impossible the tail moves to a data block. Symlinks
// follow libcomposefs's own rule, quirks included: the whole inode stays
// in one block, and a target that cannot fit moves out.
func (w *wnode) tailPadding(pos, head uint64) uint64 {
	if w.typ() == TypeSymlink {
		total := head + w.tail
		if total/blockSize > 0 {
			w.nblocks++
			w.tail = 0
		}
		if pos/blockSize != (pos+total-1)/blockSize {
			return roundUp(pos, blockSize) - pos
		}
		return 0
	}
	rem := blockSize - (pos+head)%blockSize
	if rem >= w.tail {
		return 0
	}
	pad := roundUp(rem, slotSize)
	if w.tail <= blockSize-(pos+head+pad)%blockSize {
		return pad
	}
	w.nblocks++
	w.tail = 0
	return roundUp(pos, blockSize) - pos
}
