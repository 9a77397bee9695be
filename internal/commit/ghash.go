package commit

// gHashOrder returns keys (deduplicated, first occurrence kept) in the
// order GLib's GHashTable with g_str_hash iterates them after inserting
// them in the given order. libostree builds some metadata dictionaries
// through a GVariantDict (a GHashTable), so their serialized order, and
// thus the commit checksum, is this order. It models GLib 2.58+ (linear
// arrays, quadratic probing, in-place resize); there are no removals.
func gHashOrder(keys []string) []string {
	h := newGHash()
	for _, k := range keys {
		h.insert(k)
	}
	var out []string
	for i := 0; i < h.size; i++ {
		if h.hashes[i] >= 2 {
			out = append(out, h.keys[i])
		}
	}
	return out
}

var gPrimeMod = [...]uint32{1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381,
	32749, 65521, 131071, 262139, 524287, 1048573, 2097143, 4194301, 8388593, 16777213,
	33554393, 67108859, 134217689, 268435399, 536870909, 1073741789, 2147483647}

const gMinShift = 3

type gHash struct {
	size, mask        int
	mod               uint32
	hashes            []uint32
	keys              []string
	nnodes, noccupied int
}

func newGHash() *gHash {
	h := &gHash{}
	h.setShift(gMinShift)
	h.hashes = make([]uint32, h.size)
	h.keys = make([]string, h.size)
	return h
}

func gStrHash(s string) uint32 {
	h := uint32(5381)
	for i := 0; i < len(s); i++ {
		h = h<<5 + h + uint32(int32(int8(s[i])))
	}
	return h
}

func (h *gHash) setShift(shift int) {
	h.size = 1 << shift
	h.mod = gPrimeMod[shift]
	h.mask = h.size - 1
}

func (h *gHash) index(hash uint32) int { return int((hash * 11) % h.mod) }

func (h *gHash) insert(key string) {
	hv := gStrHash(key)
	if hv < 2 {
		hv = 2
	}
	idx := h.index(hv)
	step := 0
	for h.hashes[idx] != 0 {
		if h.hashes[idx] == hv && h.keys[idx] == key {
			return // existing key: the value is replaced, the slot kept
		}
		step++
		idx = (idx + step) & h.mask
	}
	h.hashes[idx] = hv
	h.keys[idx] = key
	h.nnodes++
	h.noccupied++
	if (h.size > h.nnodes*4 && h.size > 1<<gMinShift) || h.size <= h.noccupied+h.noccupied/16 {
		h.resize()
	}
}

func (h *gHash) resize() {
	oldSize := h.size
	n := int(float64(h.nnodes) * 1.333)
	shift := 0
	for ; n != 0; shift++ {
		n >>= 1
	}
	h.setShift(max(shift, gMinShift))
	if h.size > oldSize {
		h.hashes = append(h.hashes, make([]uint32, h.size-oldSize)...)
		h.keys = append(h.keys, make([]string, h.size-oldSize)...)
	}
	done := make([]bool, max(h.size, oldSize))
	for i := 0; i < oldSize; i++ {
		nh := h.hashes[i]
		if nh < 2 {
			h.hashes[i] = 0
			continue
		}
		if done[i] {
			continue
		}
		h.hashes[i] = 0
		key := h.keys[i]
		h.keys[i] = ""
		for {
			hv := h.index(nh)
			step := 0
			for done[hv] {
				step++
				hv = (hv + step) & h.mask
			}
			done[hv] = true
			replaced := h.hashes[hv]
			h.hashes[hv] = nh
			if replaced < 2 {
				h.keys[hv] = key
				break
			}
			nh = replaced
			key, h.keys[hv] = h.keys[hv], key
		}
	}
	if h.size < oldSize {
		h.hashes = h.hashes[:h.size]
		h.keys = h.keys[:h.size]
	}
	h.noccupied = h.nnodes
}
