package delta

import (
	"encoding/binary"
	"errors"
)

// This file decodes LZMA2 chunks (the LZMA SDK's decoder, written out in
// Go). A part's payload is kept whole in memory anyway, so the output
// buffer is also the dictionary: matches copy from it directly, with no
// separate window to allocate.

var errLZMA = errors.New("corrupt LZMA2 data")

// rangeDecoder reads one range-coded LZMA chunk from in. Reading past
// the end yields zeros; the caller checks pos against len(in) once the
// chunk is done, which keeps bounds checks out of the bit loop.
type rangeDecoder struct {
	in        []byte
	pos       int
	rng, code uint32
}

func (rc *rangeDecoder) init(in []byte) bool {
	if len(in) < 5 || in[0] != 0 {
		return false
	}
	rc.in, rc.pos = in, 5
	rc.rng, rc.code = 0xFFFFFFFF, binary.BigEndian.Uint32(in[1:5])
	return rc.code < rc.rng
}

func (rc *rangeDecoder) normalize() {
	if rc.rng < 1<<24 {
		var b byte
		if rc.pos < len(rc.in) {
			b = rc.in[rc.pos]
		}
		rc.pos++
		rc.rng <<= 8
		rc.code = rc.code<<8 | uint32(b)
	}
}

func (rc *rangeDecoder) bit(p *prob) uint32 {
	rc.normalize()
	bound := (rc.rng >> probBits) * uint32(*p)
	if rc.code < bound {
		rc.rng = bound
		*p += (1<<probBits - *p) >> probMoveBits
		return 0
	}
	rc.rng -= bound
	rc.code -= bound
	*p -= *p >> probMoveBits
	return 1
}

// direct reads n bits at probability one half, most significant first.
func (rc *rangeDecoder) direct(n uint32) uint32 {
	var v uint32
	for ; n > 0; n-- {
		rc.normalize()
		rc.rng >>= 1
		b := uint32(0)
		if rc.code >= rc.rng {
			rc.code -= rc.rng
			b = 1
		}
		v = v<<1 | b
	}
	return v
}

// tree reads n bits through a bit tree, most significant first.
func (rc *rangeDecoder) tree(probs []prob, n uint32) uint32 {
	m := uint32(1)
	for range n {
		m = m<<1 | rc.bit(&probs[m])
	}
	return m - 1<<n
}

// reverseTree reads n bits through a bit tree, least significant first.
func (rc *rangeDecoder) reverseTree(probs []prob, n uint32) uint32 {
	m, v := uint32(1), uint32(0)
	for i := range n {
		b := rc.bit(&probs[m])
		m = m<<1 | b
		v |= b << i
	}
	return v
}

// lenDecoder mirrors lenEncoder, for up to 16 position states (pb ≤ 4).
type lenDecoder struct {
	choice, choice2 prob
	low, mid        [1 << 4][1 << 3]prob
	high            [1 << 8]prob
}

func (ld *lenDecoder) reset() {
	ld.choice, ld.choice2 = probInit, probInit
	for ps := range ld.low {
		fillProbs(ld.low[ps][:])
		fillProbs(ld.mid[ps][:])
	}
	fillProbs(ld.high[:])
}

// decode returns a match length minus matchLenMin.
func (ld *lenDecoder) decode(rc *rangeDecoder, ps uint32) uint32 {
	if rc.bit(&ld.choice) == 0 {
		return rc.tree(ld.low[ps][:], 3)
	}
	if rc.bit(&ld.choice2) == 0 {
		return 8 + rc.tree(ld.mid[ps][:], 3)
	}
	return 16 + rc.tree(ld.high[:], 8)
}

// lzmaDecoder is the decoding state of one LZMA2 stream: the model, the
// properties, and where the dictionary starts in the output.
type lzmaDecoder struct {
	lc, lp, pb uint32
	dictSize   uint32
	dictStart  int // output offset of the last dictionary reset

	state      uint8
	reps       [lzmaReps]uint32
	isMatch    [lzmaStates][1 << 4]prob
	isRep      [lzmaStates]prob
	isRepG0    [lzmaStates]prob
	isRepG1    [lzmaStates]prob
	isRepG2    [lzmaStates]prob
	isRep0Long [lzmaStates][1 << 4]prob
	literal    []prob // 0x300 per literal context
	posSlot    [lenToPosStates][1 << posSlotBits]prob
	posSpecial [numFullDistance - endPosModel + 1]prob
	align      [1 << alignBits]prob
	lenDec     lenDecoder
	repLenDec  lenDecoder
}

// setProps reads an LZMA properties byte; LZMA2 allows lc+lp ≤ 4.
func (d *lzmaDecoder) setProps(b byte) bool {
	if b >= 9*5*5 {
		return false
	}
	d.lc, d.lp, d.pb = uint32(b%9), uint32(b/9%5), uint32(b/45)
	if d.lc+d.lp > 4 {
		return false
	}
	if n := 0x300 << (d.lc + d.lp); cap(d.literal) >= n {
		d.literal = d.literal[:n]
	} else {
		d.literal = make([]prob, n)
	}
	return true
}

// resetState sets every probability to one half, as an LZMA2 state
// reset does.
func (d *lzmaDecoder) resetState() {
	d.state = 0
	d.reps = [lzmaReps]uint32{}
	for s := range lzmaStates {
		fillProbs(d.isMatch[s][:])
		fillProbs(d.isRep0Long[s][:])
	}
	fillProbs(d.isRep[:])
	fillProbs(d.isRepG0[:])
	fillProbs(d.isRepG1[:])
	fillProbs(d.isRepG2[:])
	fillProbs(d.literal)
	for i := range d.posSlot {
		fillProbs(d.posSlot[i][:])
	}
	fillProbs(d.posSpecial[:])
	fillProbs(d.align[:])
	d.lenDec.reset()
	d.repLenDec.reset()
}

// decodeChunk decodes one LZMA chunk (packed) into out[start:end]; out
// holds everything decoded before start. The chunk must produce exactly
// end-start bytes and consume exactly its packed bytes.
func (d *lzmaDecoder) decodeChunk(out []byte, start, end int, packed []byte) error {
	var rc rangeDecoder
	if !rc.init(packed) {
		return errLZMA
	}
	pbMask, lpMask := uint32(1)<<d.pb-1, uint32(1)<<d.lp-1
	lc := d.lc
	state, reps := d.state, d.reps
	pos := start
	for pos < end {
		p := uint32(pos - d.dictStart)
		ps := p & pbMask
		if rc.bit(&d.isMatch[state][ps]) == 0 {
			prev := uint32(0)
			if pos > d.dictStart {
				prev = uint32(out[pos-1])
			}
			ctx := (p&lpMask)<<lc + prev>>(8-lc)
			probs := d.literal[0x300*ctx : 0x300*ctx+0x300]
			sym := uint32(1)
			if isLiteralState(state) {
				for sym < 0x100 {
					sym = sym<<1 | rc.bit(&probs[sym])
				}
			} else {
				back := pos - int(reps[0]) - 1
				if back < d.dictStart {
					return errLZMA
				}
				matchByte := uint32(out[back])
				offs := uint32(0x100)
				for sym < 0x100 {
					matchByte <<= 1
					matchBit := matchByte & offs
					b := rc.bit(&probs[offs+matchBit+sym])
					sym = sym<<1 | b
					if b != 0 {
						offs &= matchBit
					} else {
						offs &^= matchBit
					}
				}
			}
			out[pos] = byte(sym)
			pos++
			state = nextLiteral[state]
			continue
		}
		var l uint32
		if rc.bit(&d.isRep[state]) == 0 {
			l = d.lenDec.decode(&rc, ps) + matchLenMin
			state = nextMatch[state]
			slot := rc.tree(d.posSlot[lenToPosState(l)][:], posSlotBits)
			dist := slot
			if slot >= startPosModel {
				footer := slot>>1 - 1
				dist = (2 | slot&1) << footer
				if slot < endPosModel {
					dist += rc.reverseTree(d.posSpecial[dist-slot:], footer)
				} else {
					dist += rc.direct(footer-alignBits) << alignBits
					dist += rc.reverseTree(d.align[:], alignBits)
				}
			}
			// Distance 0xFFFFFFFF is LZMA's end marker, which LZMA2
			// does not allow; the range check below rejects it.
			reps[3], reps[2], reps[1], reps[0] = reps[2], reps[1], reps[0], dist
		} else {
			if rc.bit(&d.isRepG0[state]) == 0 {
				if rc.bit(&d.isRep0Long[state][ps]) == 0 {
					// A short rep: one byte from rep0.
					back := pos - int(reps[0]) - 1
					if back < d.dictStart {
						return errLZMA
					}
					out[pos] = out[back]
					pos++
					state = nextShortRep[state]
					continue
				}
			} else {
				var dist uint32
				if rc.bit(&d.isRepG1[state]) == 0 {
					dist = reps[1]
				} else {
					if rc.bit(&d.isRepG2[state]) == 0 {
						dist = reps[2]
					} else {
						dist = reps[3]
						reps[3] = reps[2]
					}
					reps[2] = reps[1]
				}
				reps[1] = reps[0]
				reps[0] = dist
			}
			l = d.repLenDec.decode(&rc, ps) + matchLenMin
			state = nextRep[state]
		}
		// A match may reach back to the last dictionary reset and no
		// further than the dictionary size, and must end in the chunk.
		dist := int64(reps[0]) + 1
		if dist > int64(pos-d.dictStart) || dist > int64(d.dictSize) || int(l) > end-pos {
			return errLZMA
		}
		back := pos - int(dist)
		if int(l) <= int(dist) {
			copy(out[pos:pos+int(l)], out[back:])
		} else {
			for i := range int(l) {
				out[pos+i] = out[back+i]
			}
		}
		pos += int(l)
	}
	rc.normalize()
	if rc.pos != len(packed) || rc.code != 0 {
		return errLZMA
	}
	d.state, d.reps = state, reps
	return nil
}
