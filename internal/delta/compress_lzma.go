package delta

import "math/bits"

// This file holds the LZMA model (the adaptive probabilities of the
// format) and the coding of its symbols: literals, matches and repeated
// matches, with lc=3, lp=0, pb=2, the properties xz uses. Prices of the
// same symbols feed the parser in compress_opt.go.

const (
	lzmaLC          = 3
	lzmaPBMask      = 3 // pb=2
	lzmaPosStates   = 4
	lzmaStates      = 12
	lzmaReps        = 4
	matchLenMin     = 2
	matchLenMax     = 273
	lenSymbols      = matchLenMax - matchLenMin + 1
	lenToPosStates  = 4
	posSlotBits     = 6
	startPosModel   = 4
	endPosModel     = 14
	numFullDistance = 1 << (endPosModel >> 1)
	alignBits       = 4
	alignMask       = 1<<alignBits - 1
	// lzma2Props is the LZMA2 properties byte: (pb*5+lp)*9+lc.
	lzma2Props = (2*5+0)*9 + lzmaLC
)

var (
	nextLiteral  = [lzmaStates]uint8{0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 4, 5}
	nextMatch    = [lzmaStates]uint8{7, 7, 7, 7, 7, 7, 7, 10, 10, 10, 10, 10}
	nextRep      = [lzmaStates]uint8{8, 8, 8, 8, 8, 8, 8, 11, 11, 11, 11, 11}
	nextShortRep = [lzmaStates]uint8{9, 9, 9, 9, 9, 9, 9, 11, 11, 11, 11, 11}
)

func isLiteralState(s uint8) bool { return s < 7 }

func lenToPosState(l uint32) uint32 {
	if l < lenToPosStates+1 {
		return l - 2
	}
	return lenToPosStates - 1
}

func posSlot(dist uint32) uint32 {
	if dist < startPosModel {
		return dist
	}
	n := uint32(bits.Len32(dist)) - 1
	return n<<1 | (dist>>(n-1))&1
}

// lenEncoder codes match lengths (len-2): a choice bit, then 3 bits for
// 0-7 and 8-15 (per position state), else 8 bits.
type lenEncoder struct {
	choice, choice2 prob
	low, mid        [lzmaPosStates][1 << 3]prob
	high            [1 << 8]prob
	prices          [lzmaPosStates][lenSymbols]uint32
	counters        [lzmaPosStates]int
	tableSize       int
}

func (le *lenEncoder) init(tableSize int) {
	le.choice, le.choice2 = probInit, probInit
	for ps := range le.low {
		fillProbs(le.low[ps][:])
		fillProbs(le.mid[ps][:])
	}
	fillProbs(le.high[:])
	le.tableSize = tableSize
	for ps := range le.prices {
		le.updatePrices(ps)
	}
}

func (le *lenEncoder) encode(rc *rangeEncoder, l uint32, ps uint32) {
	switch {
	case l < 8:
		rc.bit(&le.choice, 0)
		rc.tree(le.low[ps][:], 3, l)
	case l < 16:
		rc.bit(&le.choice, 1)
		rc.bit(&le.choice2, 0)
		rc.tree(le.mid[ps][:], 3, l-8)
	default:
		rc.bit(&le.choice, 1)
		rc.bit(&le.choice2, 1)
		rc.tree(le.high[:], 8, l-16)
	}
	le.counters[ps]--
	if le.counters[ps] <= 0 {
		le.updatePrices(int(ps))
	}
}

func (le *lenEncoder) updatePrices(ps int) {
	a0, a1 := price0(le.choice), price1(le.choice)
	b0, b1 := a1+price0(le.choice2), a1+price1(le.choice2)
	p := &le.prices[ps]
	for i := 0; i < le.tableSize && i < lenSymbols; i++ {
		switch {
		case i < 8:
			p[i] = a0 + treePrice(le.low[ps][:], 3, uint32(i))
		case i < 16:
			p[i] = b0 + treePrice(le.mid[ps][:], 3, uint32(i-8))
		default:
			p[i] = b1 + treePrice(le.high[:], 8, uint32(i-16))
		}
	}
	le.counters[ps] = le.tableSize
}

// lzmaModel is the encoder's state: probabilities, the state machine and
// the four most recent distances, plus price tables derived from them.
type lzmaModel struct {
	state      uint8
	reps       [lzmaReps]uint32
	isMatch    [lzmaStates][lzmaPosStates]prob
	isRep      [lzmaStates]prob
	isRepG0    [lzmaStates]prob
	isRepG1    [lzmaStates]prob
	isRepG2    [lzmaStates]prob
	isRep0Long [lzmaStates][lzmaPosStates]prob
	literal    [1 << lzmaLC][0x300]prob
	posSlot    [lenToPosStates][1 << posSlotBits]prob
	posSpecial [numFullDistance - endPosModel + 1]prob // index 0 unused: trees start at 1
	align      [1 << alignBits]prob
	lenEnc     lenEncoder
	repLenEnc  lenEncoder

	posSlotPrices   [lenToPosStates][1 << posSlotBits]uint32
	distancePrices  [lenToPosStates][numFullDistance]uint32
	alignPrices     [1 << alignBits]uint32
	matchPriceCount int
	alignPriceCount int
}

// reset sets every probability to one half and the state to its start,
// as an LZMA2 state reset does.
func (m *lzmaModel) reset(niceLen int) {
	m.state = 0
	m.reps = [lzmaReps]uint32{}
	for s := range lzmaStates {
		fillProbs(m.isMatch[s][:])
		fillProbs(m.isRep0Long[s][:])
	}
	fillProbs(m.isRep[:])
	fillProbs(m.isRepG0[:])
	fillProbs(m.isRepG1[:])
	fillProbs(m.isRepG2[:])
	for i := range m.literal {
		fillProbs(m.literal[i][:])
	}
	for i := range m.posSlot {
		fillProbs(m.posSlot[i][:])
	}
	fillProbs(m.posSpecial[:])
	fillProbs(m.align[:])
	m.lenEnc.init(niceLen + 1 - matchLenMin)
	m.repLenEnc.init(niceLen + 1 - matchLenMin)
	m.fillDistancePrices()
	m.fillAlignPrices()
}

func (m *lzmaModel) literalProbs(data []byte, pos int) []prob {
	prev := byte(0)
	if pos > 0 {
		prev = data[pos-1]
	}
	return m.literal[prev>>(8-lzmaLC)][:]
}

func (m *lzmaModel) encodeLiteral(rc *rangeEncoder, data []byte, pos int) {
	ps := uint32(pos) & lzmaPBMask
	rc.bit(&m.isMatch[m.state][ps], 0)
	probs := m.literalProbs(data, pos)
	sym := uint32(data[pos])
	if isLiteralState(m.state) {
		rc.tree(probs, 8, sym)
	} else {
		matchByte := uint32(data[pos-int(m.reps[0])-1])
		offs, s := uint32(0x100), uint32(1)
		for i := 7; i >= 0; i-- {
			b := (sym >> uint(i)) & 1
			matchByte <<= 1
			matchBit := matchByte & offs
			rc.bit(&probs[offs+matchBit+s], b)
			s = s<<1 | b
			if b != 0 {
				offs &= matchBit
			} else {
				offs &^= matchBit
			}
		}
	}
	m.state = nextLiteral[m.state]
}

// encodeMatch codes a match of length l at distance dist+1.
func (m *lzmaModel) encodeMatch(rc *rangeEncoder, pos int, l, dist uint32) {
	ps := uint32(pos) & lzmaPBMask
	rc.bit(&m.isMatch[m.state][ps], 1)
	rc.bit(&m.isRep[m.state], 0)
	m.state = nextMatch[m.state]
	m.lenEnc.encode(rc, l-matchLenMin, ps)
	slot := posSlot(dist)
	rc.tree(m.posSlot[lenToPosState(l)][:], posSlotBits, slot)
	if slot >= startPosModel {
		footer := int(slot>>1) - 1
		base := (2 | slot&1) << uint(footer)
		reduced := dist - base
		if slot < endPosModel {
			rc.reverseTree(m.posSpecial[base-slot:], footer, reduced)
		} else {
			rc.direct(reduced>>alignBits, footer-alignBits)
			rc.reverseTree(m.align[:], alignBits, reduced&alignMask)
			m.alignPriceCount++
		}
	}
	m.reps[3], m.reps[2], m.reps[1], m.reps[0] = m.reps[2], m.reps[1], m.reps[0], dist
	m.matchPriceCount++
}

// encodeRep codes a match of length l at the distance reps[idx]; l == 1
// with idx == 0 is a "short rep" (one byte at rep0).
func (m *lzmaModel) encodeRep(rc *rangeEncoder, pos int, l uint32, idx int) {
	ps := uint32(pos) & lzmaPBMask
	rc.bit(&m.isMatch[m.state][ps], 1)
	rc.bit(&m.isRep[m.state], 1)
	if idx == 0 {
		rc.bit(&m.isRepG0[m.state], 0)
		long := uint32(1)
		if l == 1 {
			long = 0
		}
		rc.bit(&m.isRep0Long[m.state][ps], long)
	} else {
		dist := m.reps[idx]
		rc.bit(&m.isRepG0[m.state], 1)
		if idx == 1 {
			rc.bit(&m.isRepG1[m.state], 0)
		} else {
			rc.bit(&m.isRepG1[m.state], 1)
			rc.bit(&m.isRepG2[m.state], uint32(idx-2))
			if idx == 3 {
				m.reps[3] = m.reps[2]
			}
			m.reps[2] = m.reps[1]
		}
		m.reps[1] = m.reps[0]
		m.reps[0] = dist
	}
	if l == 1 {
		m.state = nextShortRep[m.state]
		return
	}
	m.repLenEnc.encode(rc, l-matchLenMin, ps)
	m.state = nextRep[m.state]
}

func (m *lzmaModel) fillAlignPrices() {
	for i := range m.alignPrices {
		m.alignPrices[i] = reverseTreePrice(m.align[:], alignBits, uint32(i))
	}
	m.alignPriceCount = 0
}

func (m *lzmaModel) fillDistancePrices() {
	var special [numFullDistance]uint32
	for d := uint32(startPosModel); d < numFullDistance; d++ {
		slot := posSlot(d)
		footer := int(slot>>1) - 1
		base := (2 | slot&1) << uint(footer)
		special[d] = reverseTreePrice(m.posSpecial[base-slot:], footer, d-base)
	}
	for lps := range lenToPosStates {
		sp := &m.posSlotPrices[lps]
		for slot := uint32(0); slot < 1<<posSlotBits; slot++ {
			sp[slot] = treePrice(m.posSlot[lps][:], posSlotBits, slot)
			if slot >= endPosModel {
				sp[slot] += (slot>>1 - 1 - alignBits) << priceShiftBits
			}
		}
		dp := &m.distancePrices[lps]
		for d := uint32(0); d < startPosModel; d++ {
			dp[d] = sp[d]
		}
		for d := uint32(startPosModel); d < numFullDistance; d++ {
			dp[d] = sp[posSlot(d)] + special[d]
		}
	}
	m.matchPriceCount = 0
}

// literalPrice is the cost of coding data[pos] as a literal in state s.
func (m *lzmaModel) literalPrice(data []byte, pos int, s uint8, matchByte byte) uint32 {
	probs := m.literalProbs(data, pos)
	sym := uint32(data[pos])
	if isLiteralState(s) {
		return treePrice(probs, 8, sym)
	}
	price := uint32(0)
	mb := uint32(matchByte)
	offs, t := uint32(0x100), uint32(1)
	for i := 7; i >= 0; i-- {
		b := (sym >> uint(i)) & 1
		mb <<= 1
		matchBit := mb & offs
		price += priceBit(probs[offs+matchBit+t], b)
		t = t<<1 | b
		if b != 0 {
			offs &= matchBit
		} else {
			offs &^= matchBit
		}
	}
	return price
}

func (m *lzmaModel) shortRepPrice(s uint8, ps uint32) uint32 {
	return price0(m.isRepG0[s]) + price0(m.isRep0Long[s][ps])
}

func (m *lzmaModel) pureRepPrice(idx int, s uint8, ps uint32) uint32 {
	if idx == 0 {
		return price0(m.isRepG0[s]) + price1(m.isRep0Long[s][ps])
	}
	p := price1(m.isRepG0[s])
	if idx == 1 {
		return p + price0(m.isRepG1[s])
	}
	return p + price1(m.isRepG1[s]) + priceBit(m.isRepG2[s], uint32(idx-2))
}

func (m *lzmaModel) repPrice(idx int, l uint32, s uint8, ps uint32) uint32 {
	return m.repLenEnc.prices[ps][l-matchLenMin] + m.pureRepPrice(idx, s, ps)
}

func (m *lzmaModel) matchDistPrice(l, dist uint32) uint32 {
	lps := lenToPosState(l)
	if dist < numFullDistance {
		return m.distancePrices[lps][dist]
	}
	return m.posSlotPrices[lps][posSlot(dist)] + m.alignPrices[dist&alignMask]
}
