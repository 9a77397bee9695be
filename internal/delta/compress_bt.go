package delta

import "encoding/binary"

const (
	hash3Bits = 16
	hash4Bits = 20
)

// binaryTrees finds LZMA matches: for each position, the matches of
// increasing length (up to niceLen) with the smallest distance for each.
// It keeps the most recent position of every 2-byte value and 3-byte
// hash, and the positions sharing a 4-byte hash in a binary search tree
// ordered by the bytes that follow them (liblzma's "bt4"): each search
// walks toward the closest strings, to a fixed depth within the
// dictionary window, and re-roots the tree at the current position.
// Memory: 8 bytes per window position plus 4.5 MiB of hash heads.
type binaryTrees struct {
	data    []byte
	window  int
	depth   int
	niceLen int
	head2   []uint32
	head3   []uint32
	head4   []uint32
	son     []uint32 // per window slot: left and right child, position+1
	// lastPos and lastSlot track pos % window for sequential positions.
	lastPos, lastSlot int
}

func newBinaryTrees(data []byte, window, depth, niceLen int) *binaryTrees {
	window = min(window, max(len(data), 1<<12))
	return &binaryTrees{
		data: data, window: window, depth: depth, niceLen: niceLen,
		head2: make([]uint32, 1<<16),
		head3: make([]uint32, 1<<hash3Bits),
		head4: make([]uint32, 1<<hash4Bits),
		son:   make([]uint32, 2*window),
		// Nothing inserted yet: position 0 then takes slot 0, as any
		// later position p must take slot p % window.
		lastPos: -1, lastSlot: -1,
	}
}

// slot is pos's place in the cyclic son table.
func (bt *binaryTrees) slot(pos int) int {
	s := bt.lastSlot + 1
	if pos != bt.lastPos+1 {
		s = pos % bt.window
	} else if s == bt.window {
		s = 0
	}
	bt.lastPos, bt.lastSlot = pos, s
	return s
}

func (bt *binaryTrees) hashes(pos int) (h2, h3, h4 uint32) {
	v := binary.LittleEndian.Uint32(bt.data[pos:])
	h2 = v & 0xFFFF
	h3 = ((v & 0xFFFFFF) * 506832829) >> (32 - hash3Bits)
	h4 = (v * 2654435761) >> (32 - hash4Bits)
	return
}

func (bt *binaryTrees) skip(pos int) {
	if pos+4 > len(bt.data) {
		return
	}
	h2, h3, h4 := bt.hashes(pos)
	p := uint32(pos + 1)
	bt.head2[h2], bt.head3[h3] = p, p
	cur := bt.head4[h4]
	bt.head4[h4] = p
	bt.walk(pos, cur, min(len(bt.data)-pos, bt.niceLen), 0, nil)
}

func (bt *binaryTrees) find(pos int, out []uint32) []uint32 {
	data := bt.data
	if pos+4 > len(data) {
		return out
	}
	avail := min(len(data)-pos, bt.niceLen)
	cur := data[pos : pos+avail]
	h2, h3, h4 := bt.hashes(pos)
	c2, c3, c4 := bt.head2[h2], bt.head3[h3], bt.head4[h4]
	p := uint32(pos + 1)
	bt.head2[h2], bt.head3[h3], bt.head4[h4] = p, p, p

	best := 1
	var d2 int
	if c2 != 0 {
		if d := pos + 1 - int(c2); d < bt.window {
			d2 = d
			l := 2 + matchLen(data[pos-d+2:pos-d+avail], cur[2:])
			best = l
			out = append(out, uint32(l), uint32(d-1))
		}
	}
	if c3 != 0 {
		if d := pos + 1 - int(c3); d != d2 && d < bt.window {
			src := data[pos-d : pos-d+avail]
			if src[0] == cur[0] && src[1] == cur[1] && src[2] == cur[2] {
				if l := 3 + matchLen(src[3:], cur[3:]); l > best {
					best = l
					out = append(out, uint32(l), uint32(d-1))
				}
			}
		}
	}
	if best >= avail {
		bt.walk(pos, c4, avail, 0, nil)
		return out
	}
	return bt.walk(pos, c4, avail, best, out)
}

// walk inserts pos at the root of its tree, whose previous root is
// curMatch, and when out is not nil appends the matches longer than best
// met on the way.
func (bt *binaryTrees) walk(pos int, curMatch uint32, lenLimit, best int, out []uint32) []uint32 {
	data, son, window := bt.data, bt.son, bt.window
	slot := bt.slot(pos)
	ptr0, ptr1 := 2*slot+1, 2*slot
	len0, len1 := 0, 0
	for depth := bt.depth; ; depth-- {
		d := pos + 1 - int(curMatch)
		if curMatch == 0 || depth == 0 || d >= window {
			son[ptr0], son[ptr1] = 0, 0
			return out
		}
		cand := pos - d
		cs := slot - d
		if cs < 0 {
			cs += window
		}
		pair := 2 * cs
		l := min(len0, len1)
		if data[cand+l] == data[pos+l] {
			l++
			l += matchLen(data[cand+l:cand+lenLimit], data[pos+l:pos+lenLimit])
			if out != nil && l > best {
				best = l
				out = append(out, uint32(l), uint32(d-1))
			}
			if l >= lenLimit {
				son[ptr1], son[ptr0] = son[pair], son[pair+1]
				return out
			}
		}
		if data[cand+l] < data[pos+l] {
			son[ptr1] = curMatch
			ptr1 = pair + 1
			curMatch = son[ptr1]
			len1 = l
		} else {
			son[ptr0] = curMatch
			ptr0 = pair
			curMatch = son[ptr0]
			len0 = l
		}
	}
}
