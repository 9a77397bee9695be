package object

import "github.com/gostree/gostree/internal/gvariant"

// VarDict builds an a{sv} in the order libostree's GVariantDict gives:
// the iteration order of a GLib 2.74 GHashTable keyed by g_str_hash.
// libostree builds commit metadata, detached metadata, summaries and
// summary.sig through GVariantDicts, so reproducing the order keeps our
// objects and files byte for byte those of the reference.
type VarDict struct {
	size, mod, mask int
	hashes          []uint32 // 0 unused, 1 tombstone, else the key's hash
	keys            []string
	vals            []gvariant.Variant
	nnodes          int
	noccupied       int
}

// primeMod is GLib's prime_mod table: for a table of 1<<shift buckets,
// the initial bucket is (hash*11) % primeMod[shift].
var primeMod = [...]int{1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191,
	16381, 32749, 65521, 131071, 262139, 524287, 1048573, 2097143, 4194301, 8388593,
	16777213, 33554393, 67108859, 134217689, 268435399, 536870909, 1073741789, 2147483647}

const minShift = 3

// NewVarDict is an empty GVariantDict.
func NewVarDict() *VarDict {
	d := &VarDict{}
	d.setShift(minShift)
	d.hashes = make([]uint32, d.size)
	d.keys = make([]string, d.size)
	d.vals = make([]gvariant.Variant, d.size)
	return d
}

// NewVarDictFrom is g_variant_dict_init with an a{sv}: its entries are
// inserted in order.
func NewVarDictFrom(m Metadata) *VarDict {
	d := NewVarDict()
	for _, e := range m {
		d.Insert(e.Key, e.Value)
	}
	return d
}

func (d *VarDict) setShift(shift int) {
	d.size = 1 << shift
	d.mod = primeMod[shift]
	d.mask = d.size - 1
}

// strHash is g_str_hash: djb2 over signed chars.
func strHash(s string) uint32 {
	h := uint32(5381)
	for i := 0; i < len(s); i++ {
		h = h<<5 + h + uint32(int32(int8(s[i])))
	}
	return h
}

func (d *VarDict) toIndex(h uint32) int { return int(uint64(h*11) % uint64(d.mod)) }

// lookupNode is g_hash_table_lookup_node.
func (d *VarDict) lookupNode(key string) (int, uint32) {
	h := strHash(key)
	if h < 2 {
		h = 2
	}
	i := d.toIndex(h)
	firstTomb, haveTomb := 0, false
	step := 0
	for d.hashes[i] != 0 {
		if d.hashes[i] == h && d.keys[i] == key {
			return i, h
		}
		if d.hashes[i] == 1 && !haveTomb {
			firstTomb, haveTomb = i, true
		}
		step++
		i = (i + step) & d.mask
	}
	if haveTomb {
		return firstTomb, h
	}
	return i, h
}

// Insert is g_variant_dict_insert_value: g_hash_table_insert, which keeps
// an existing key's slot and replaces its value.
func (d *VarDict) Insert(key string, v gvariant.Variant) {
	i, h := d.lookupNode(key)
	old := d.hashes[i]
	if old >= 2 {
		d.vals[i] = v
		return
	}
	d.hashes[i] = h
	d.keys[i] = key
	d.vals[i] = v
	d.nnodes++
	if old == 0 {
		d.noccupied++
		d.maybeResize()
	}
}

func (d *VarDict) maybeResize() {
	if (d.size > d.nnodes*4 && d.size > 1<<minShift) || d.size <= d.noccupied+d.noccupied/16 {
		d.resize()
	}
}

// resize is g_hash_table_resize with its in-place relocation.
func (d *VarDict) resize() {
	oldSize := d.size
	n := int(float64(d.nnodes) * 1.333)
	shift := 0
	for ; n != 0; shift++ {
		n >>= 1
	}
	d.setShift(max(shift, minShift))
	var bitmap []bool
	if d.size > oldSize {
		d.hashes = append(d.hashes, make([]uint32, d.size-oldSize)...)
		d.keys = append(d.keys, make([]string, d.size-oldSize)...)
		d.vals = append(d.vals, make([]gvariant.Variant, d.size-oldSize)...)
		bitmap = make([]bool, d.size)
	} else {
		bitmap = make([]bool, oldSize)
	}
	for i := 0; i < oldSize; i++ {
		h := d.hashes[i]
		if h < 2 {
			d.hashes[i] = 0
			continue
		}
		if bitmap[i] {
			continue
		}
		d.hashes[i] = 0
		key, val := d.keys[i], d.vals[i]
		d.keys[i], d.vals[i] = "", gvariant.Variant{}
		for {
			j := d.toIndex(h)
			step := 0
			for bitmap[j] {
				step++
				j = (j + step) & d.mask
			}
			bitmap[j] = true
			replaced := d.hashes[j]
			d.hashes[j] = h
			if replaced < 2 {
				d.keys[j], d.vals[j] = key, val
				break
			}
			h = replaced
			key, d.keys[j] = d.keys[j], key
			val, d.vals[j] = d.vals[j], val
		}
	}
	if d.size < oldSize {
		d.hashes = d.hashes[:d.size]
		d.keys = d.keys[:d.size]
		d.vals = d.vals[:d.size]
	}
	d.noccupied = d.nnodes
}

// End is g_variant_dict_end: the entries in bucket order.
func (d *VarDict) End() Metadata {
	out := make(Metadata, 0, d.nnodes)
	for i, h := range d.hashes {
		if h >= 2 {
			out = append(out, MetaEntry{Key: d.keys[i], Value: d.vals[i]})
		}
	}
	return out
}

// Lookup is g_variant_dict_lookup_value.
func (d *VarDict) Lookup(key string) (gvariant.Variant, bool) {
	i, _ := d.lookupNode(key)
	if d.hashes[i] < 2 {
		return gvariant.Variant{}, false
	}
	return d.vals[i], true
}

// Remove is g_variant_dict_remove: g_hash_table_remove leaves a
// tombstone and may shrink the table.
func (d *VarDict) Remove(key string) {
	i, _ := d.lookupNode(key)
	if d.hashes[i] < 2 {
		return
	}
	d.hashes[i] = 1
	d.keys[i], d.vals[i] = "", gvariant.Variant{}
	d.nnodes--
	d.maybeResize()
}
