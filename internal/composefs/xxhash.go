package composefs

import (
	"encoding/binary"
	mathbits "math/bits"
)

// xxh32 is the 32-bit xxHash, which EROFS uses for its xattr name bloom
// filter (one bit per name: xxh32(suffix, seed+index) mod 32).
func xxh32(b []byte, seed uint32) uint32 {
	const (
		p1 uint32 = 2654435761
		p2 uint32 = 2246822519
		p3 uint32 = 3266489917
		p4 uint32 = 668265263
		p5 uint32 = 374761393
	)
	round := func(acc, in uint32) uint32 {
		return mathbits.RotateLeft32(acc+in*p2, 13) * p1
	}
	n := len(b)
	var h uint32
	if n >= 16 {
		v1, v2, v3, v4 := seed+p1+p2, seed+p2, seed, seed-p1
		for len(b) >= 16 {
			v1 = round(v1, binary.LittleEndian.Uint32(b[0:]))
			v2 = round(v2, binary.LittleEndian.Uint32(b[4:]))
			v3 = round(v3, binary.LittleEndian.Uint32(b[8:]))
			v4 = round(v4, binary.LittleEndian.Uint32(b[12:]))
			b = b[16:]
		}
		h = mathbits.RotateLeft32(v1, 1) + mathbits.RotateLeft32(v2, 7) +
			mathbits.RotateLeft32(v3, 12) + mathbits.RotateLeft32(v4, 18)
	} else {
		h = seed + p5
	}
	h += uint32(n)
	for ; len(b) >= 4; b = b[4:] {
		h = mathbits.RotateLeft32(h+binary.LittleEndian.Uint32(b)*p3, 17) * p4
	}
	for _, c := range b {
		h = mathbits.RotateLeft32(h+uint32(c)*p5, 11) * p1
	}
	h ^= h >> 15
	h *= p2
	h ^= h >> 13
	h *= p3
	h ^= h >> 16
	return h
}

// nameFilter is an inode's h_name_filter: all ones, minus one bit per
// xattr name.
func nameFilter(xs []wxattr) uint32 {
	var bits uint32
	for _, x := range xs {
		idx, suffix := splitXattrKey(x.key)
		bits |= 1 << (xxh32([]byte(suffix), xattrSeed+uint32(idx)) & 31)
	}
	return ^bits
}
