package delta

import (
	"bytes"
	"hash/maphash"
)

// This file finds the runs a new file shares with its old version, for the
// delta's "rollsum" encoding: the new file is written from runs of the old
// one (read from the client's copy) and literal bytes from the part.
// Both files are cut into content-defined chunks with a gear rolling hash
// (boundaries move with the content, so an insertion only disturbs the
// chunks around it); equal chunks are matched through a hash index and
// verified byte for byte, then grown into their unmatched neighbours and
// merged. libostree's 2022.7 rollsum hashes the wrong bytes and so almost
// never matches; the operations it emits are the same.

// Chunking parameters: boundaries where the hash's low bits are zero
// give chunks of about 4 KiB, clamped to [512 B, 64 KiB].
const (
	rollMinChunk = 512
	rollMaxChunk = 64 << 10
	rollMask     = 1<<12 - 1
)

// rollMinMatch is the shortest run worth a write operation from the old
// file (each costs a few bytes of operations, and switching sources more).
const rollMinMatch = 32

// rollMatch says that new[to:to+n] equals old[from:from+n].
type rollMatch struct {
	to, from, n int
}

// gearTable holds the rolling hash's per-byte values: fixed pseudo-random
// numbers (splitmix64), so chunk boundaries are reproducible.
var gearTable = func() (t [256]uint64) {
	x := uint64(0x6f73747265652d64) // any fixed seed
	for i := range t {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		t[i] = z ^ z>>31
	}
	return t
}()

// chunkBoundaries calls fn with the end offset of each chunk of b.
func chunkBoundaries(b []byte, fn func(start, end int)) {
	start := 0
	for start < len(b) {
		end := min(start+rollMaxChunk, len(b))
		if end-start > rollMinChunk {
			var h uint64
			for i := start + rollMinChunk - 64; i < end; i++ {
				h = h<<1 + gearTable[b[i]]
				if i >= start+rollMinChunk && h&rollMask == 0 {
					end = i + 1
					break
				}
			}
		}
		fn(start, end)
		start = end
	}
}

// rollsumMatches returns the runs new shares with old, sorted by their
// position in new and not overlapping there, and their total length.
func rollsumMatches(old, new []byte) ([]rollMatch, int) {
	if len(old) == 0 || len(new) == 0 {
		return nil, 0
	}
	seed := maphash.MakeSeed()
	type chunk struct{ off, n int }
	index := make(map[uint64]chunk, len(old)/(rollMask+1)+1)
	chunkBoundaries(old, func(s, e int) {
		h := maphash.Bytes(seed, old[s:e])
		if _, dup := index[h]; !dup {
			index[h] = chunk{s, e - s}
		}
	})
	var matches []rollMatch
	chunkBoundaries(new, func(s, e int) {
		c, ok := index[maphash.Bytes(seed, new[s:e])]
		if !ok || c.n != e-s || !bytes.Equal(old[c.off:c.off+c.n], new[s:e]) {
			return
		}
		if n := len(matches); n > 0 {
			// Extend the previous run when this chunk continues it.
			if m := &matches[n-1]; m.to+m.n == s && m.from+m.n == c.off {
				m.n += c.n
				return
			}
		}
		matches = append(matches, rollMatch{to: s, from: c.off, n: c.n})
	})

	// Grow each run into the unmatched bytes around it.
	for i := range matches {
		m := &matches[i]
		lo := 0
		if i > 0 {
			lo = matches[i-1].to + matches[i-1].n
		}
		for m.to > lo && m.from > 0 && new[m.to-1] == old[m.from-1] {
			m.to--
			m.from--
			m.n++
		}
		hi := len(new)
		if i+1 < len(matches) {
			hi = matches[i+1].to
		}
		m.n += matchLen(old[m.from+m.n:], new[m.to+m.n:hi])
	}
	matches = fillGaps(old, new, matches)
	out := matches[:0]
	total := 0
	for _, m := range matches {
		if n := len(out); n > 0 {
			if p := &out[n-1]; p.to+p.n == m.to && p.from+p.n == m.from {
				p.n += m.n
				total += m.n
				continue
			}
		}
		if m.n < rollMinMatch {
			continue
		}
		out = append(out, m)
		total += m.n
	}
	return out, total
}

// fillGaps looks for more runs in the unmatched stretches of new, along
// the alignment of the run before each stretch: where a file was edited
// in place (bytes changed here and there, too densely for whole chunks to
// survive), the bytes between the edits still line up.
func fillGaps(old, new []byte, matches []rollMatch) []rollMatch {
	var out []rollMatch
	for i, m := range matches {
		out = append(out, m)
		start, end := m.to+m.n, len(new)
		if i+1 < len(matches) {
			end = matches[i+1].to
		}
		shift := m.from - m.to
		for pos := start; pos < end; {
			// Skip differing bytes, then measure the equal run.
			for pos < end && (pos+shift >= len(old) || new[pos] != old[pos+shift]) {
				pos++
			}
			if pos >= end || pos+shift >= len(old) {
				break
			}
			n := matchLen(old[pos+shift:], new[pos:end])
			if n >= rollMinMatch {
				out = append(out, rollMatch{to: pos, from: pos + shift, n: n})
			}
			pos += n
		}
	}
	return out
}
