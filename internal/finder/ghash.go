package finder

import "github.com/gostree/gostree/internal/ref"

// libostree keeps a result's refs in a GHashTable and find-remotes prints
// them in the table's iteration order. hashOrder reproduces that order
// for a table that only grows (GLib 2.74's open addressing: buckets a
// power of two, index (hash*11) mod a prime, quadratic probing, in-place
// rehash on growth), so that our output lists refs as the reference does.

// gPrimeMod is GLib's prime_mod table, indexed by the table's shift.
var gPrimeMod = [...]uint32{
	1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191,
	16381, 32749, 65521, 131071, 262139, 524287, 1048573, 2097143,
	4194301, 8388593, 16777213, 33554393, 67108859, 134217689,
	268435399, 536870909, 1073741789, 2147483647,
}

const gMinShift = 3

// gStrHash is g_str_hash: djb2 over signed chars.
func gStrHash(s string) uint32 {
	h := uint32(5381)
	for i := 0; i < len(s); i++ {
		h = h<<5 + h + uint32(int32(int8(s[i])))
	}
	return h
}

// collectionRefHash is ostree_collection_ref_hash.
func collectionRefHash(r ref.CollectionRef) uint32 {
	return gStrHash(r.CollectionID) ^ gStrHash(r.Ref)
}

// gTable is the bucket layout of a GHashTable of collection-refs.
type gTable struct {
	size, mod, mask uint32
	hashes          []uint32 // 0 unused, 1 tombstone, ≥2 a key's hash
	keys            []ref.CollectionRef
	nnodes          int
}

func newGTable() *gTable {
	t := &gTable{}
	t.setShift(gMinShift)
	t.hashes = make([]uint32, t.size)
	t.keys = make([]ref.CollectionRef, t.size)
	return t
}

func (t *gTable) setShift(shift int) {
	t.size = 1 << shift
	t.mod = gPrimeMod[shift]
	t.mask = t.size - 1
}

func (t *gTable) index(h uint32) uint32 { return (h * 11) % t.mod }

// insert adds k unless it is present (g_hash_table_insert keeps the
// first key's position).
func (t *gTable) insert(k ref.CollectionRef) {
	h := collectionRefHash(k)
	if h < 2 {
		h = 2
	}
	i := t.index(h)
	for step := uint32(0); t.hashes[i] != 0; {
		if t.hashes[i] == h && t.keys[i] == k {
			return
		}
		step++
		i = (i + step) & t.mask
	}
	t.hashes[i], t.keys[i] = h, k
	t.nnodes++
	// No removals, so occupied buckets are the nodes.
	if t.size <= uint32(t.nnodes+t.nnodes/16) {
		t.grow()
	}
}

// grow is g_hash_table_resize for a table without tombstones.
func (t *gTable) grow() {
	old := t.size
	n := int(float64(t.nnodes) * 1.333)
	shift := 0
	for ; n != 0; shift++ {
		n >>= 1
	}
	t.setShift(max(shift, gMinShift))
	if t.size <= old {
		return
	}
	t.hashes = append(t.hashes, make([]uint32, t.size-old)...)
	t.keys = append(t.keys, make([]ref.CollectionRef, t.size-old)...)
	placed := make([]bool, t.size)
	for i := uint32(0); i < old; i++ {
		h := t.hashes[i]
		if h < 2 || placed[i] {
			continue
		}
		t.hashes[i] = 0
		k := t.keys[i]
		for {
			j := t.index(h)
			for step := uint32(0); placed[j]; {
				step++
				j = (j + step) & t.mask
			}
			placed[j] = true
			replaced := t.hashes[j]
			t.hashes[j] = h
			if replaced < 2 {
				t.keys[j] = k
				break
			}
			// Evict the occupant and place it next.
			h = replaced
			k, t.keys[j] = t.keys[j], k
		}
	}
}

// hashOrder returns keys, deduplicated, in the order a GHashTable with
// ostree_collection_ref_hash lists them after inserting them in order.
func hashOrder(keys []ref.CollectionRef) []ref.CollectionRef {
	t := newGTable()
	for _, k := range keys {
		t.insert(k)
	}
	out := make([]ref.CollectionRef, 0, t.nnodes)
	for i, h := range t.hashes {
		if h >= 2 {
			out = append(out, t.keys[i])
		}
	}
	return out
}
