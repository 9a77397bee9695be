package delta

// This file is the LZMA encoder's parser: it chooses, by price, a path of
// literals, matches and repeated matches over the next few thousand bytes
// (the LZMA SDK's "normal" mode, GetOptimum), then hands its symbols out
// one at a time while the coder updates the probabilities.

const numOpts = 1 << 12

// backLiteral marks a literal in an optimal step; 0-3 are the repeated
// distances, and d+lzmaReps a match at distance d+1.
const backLiteral = -1

type optimal struct {
	price       uint32
	posPrev     int32
	backPrev    int32
	posPrev2    int32
	backPrev2   int32
	prev1IsChar bool
	prev2       bool
	state       uint8
	backs       [lzmaReps]uint32
}

func (o *optimal) makeLiteral()     { o.backPrev, o.prev1IsChar = backLiteral, false }
func (o *optimal) makeShortRep()    { o.backPrev, o.prev1IsChar = 0, false }
func (o *optimal) isShortRep() bool { return o.backPrev == 0 }

// lzmaParser drives the match finder and produces symbols.
type lzmaParser struct {
	data    []byte
	mf      matchFinder
	m       *lzmaModel
	niceLen int

	mfPos            int // next position the match finder reads
	additionalOffset int // how far the match finder is ahead of the coder
	numAvail         int
	matches          []uint32
	numPairs         int
	longestMatchLen  int
	optEnd, optCur   int
	opt              [numOpts]optimal
}

// matchFinder lists the matches at each position (find) or just records
// the position (skip); positions are visited once each, in order.
type matchFinder interface {
	find(pos int, out []uint32) []uint32
	skip(pos int)
}

func newLZMAParser(data []byte, mf matchFinder, m *lzmaModel, niceLen, depth int) *lzmaParser {
	return &lzmaParser{data: data, mf: mf, m: m, niceLen: niceLen, matches: make([]uint32, 0, 2*(depth+8))}
}

// readMatches runs the match finder at the next position.
func (p *lzmaParser) readMatches() int {
	pos := p.mfPos
	p.numAvail = len(p.data) - pos
	p.matches = p.mf.find(pos, p.matches[:0])
	p.numPairs = len(p.matches)
	p.mfPos++
	p.additionalOffset++
	if p.numPairs == 0 {
		return 0
	}
	l := int(p.matches[p.numPairs-2])
	if l == p.niceLen {
		dist := int(p.matches[p.numPairs-1]) + 1
		limit := min(p.numAvail, matchLenMax)
		l += matchLen(p.data[pos-dist+l:pos-dist+limit], p.data[pos+l:pos+limit])
	}
	return l
}

func (p *lzmaParser) movePos(n int) {
	for range n {
		p.mf.skip(p.mfPos)
		p.mfPos++
	}
	p.additionalOffset += n
}

// repLen is the length of the match at distance rep+1 from pos, at most
// limit.
func (p *lzmaParser) repLen(pos int, rep uint32, limit int) int {
	src := pos - int(rep) - 1
	if src < 0 {
		return 0
	}
	d := p.data
	if d[pos] != d[src] || d[pos+1] != d[src+1] {
		return 0
	}
	return 2 + matchLen(d[src+2:src+limit], d[pos+2:pos+limit])
}

// next returns the symbol at position pos: its length and back (see
// backLiteral).
func (p *lzmaParser) next(pos int) (int, int32) {
	if p.optEnd != p.optCur {
		o := &p.opt[p.optCur]
		l := int(o.posPrev) - p.optCur
		back := o.backPrev
		p.optCur = int(o.posPrev)
		return l, back
	}
	p.optCur, p.optEnd = 0, 0
	m, d := p.m, p.data

	var mainLen int
	if p.additionalOffset == 0 {
		mainLen = p.readMatches()
	} else {
		mainLen = p.longestMatchLen
	}
	numAvail := p.numAvail
	if numAvail < 2 {
		return 1, backLiteral
	}
	numAvail = min(numAvail, matchLenMax)
	matches := p.matches[:p.numPairs]

	var reps [lzmaReps]uint32
	var repLens [lzmaReps]int
	repMax := 0
	for i := range lzmaReps {
		reps[i] = m.reps[i]
		repLens[i] = p.repLen(pos, reps[i], numAvail)
		if repLens[i] > repLens[repMax] {
			repMax = i
		}
	}
	if repLens[repMax] >= p.niceLen {
		l := repLens[repMax]
		p.movePos(l - 1)
		return l, int32(repMax)
	}
	if mainLen >= p.niceLen {
		p.movePos(mainLen - 1)
		return mainLen, int32(matches[len(matches)-1]) + lzmaReps
	}
	curByte := d[pos]
	matchByte := d[pos-int(reps[0])-1]
	if mainLen < 2 && curByte != matchByte && repLens[repMax] < 2 {
		return 1, backLiteral
	}

	state := m.state
	p.opt[0].state = state
	posState := uint32(pos) & lzmaPBMask

	p.opt[1].price = price0(m.isMatch[state][posState]) + m.literalPrice(d, pos, state, matchByte)
	p.opt[1].makeLiteral()
	matchPrice := price1(m.isMatch[state][posState])
	repMatchPrice := matchPrice + price1(m.isRep[state])
	if matchByte == curByte {
		if sr := repMatchPrice + m.shortRepPrice(state, posState); sr < p.opt[1].price {
			p.opt[1].price = sr
			p.opt[1].makeShortRep()
		}
	}
	lenEnd := max(mainLen, repLens[repMax])
	if lenEnd < 2 {
		return 1, p.opt[1].backPrev
	}
	p.opt[1].posPrev = 0
	p.opt[0].backs = reps
	for l := lenEnd; l >= 2; l-- {
		p.opt[l].price = infinityPrice
	}
	for i := range lzmaReps {
		rl := repLens[i]
		if rl < 2 {
			continue
		}
		price := repMatchPrice + m.pureRepPrice(i, state, posState)
		for ; rl >= 2; rl-- {
			c := price + m.repLenEnc.prices[posState][rl-matchLenMin]
			if o := &p.opt[rl]; c < o.price {
				o.price, o.posPrev, o.backPrev, o.prev1IsChar = c, 0, int32(i), false
			}
		}
	}
	normalMatchPrice := matchPrice + price0(m.isRep[state])
	l := 2
	if repLens[0] >= 2 {
		l = repLens[0] + 1
	}
	if l <= mainLen {
		offs := 0
		for uint32(l) > matches[offs] {
			offs += 2
		}
		for ; ; l++ {
			dist := matches[offs+1]
			c := normalMatchPrice + m.lenEnc.prices[posState][l-matchLenMin] + m.matchDistPrice(uint32(l), dist)
			if o := &p.opt[l]; c < o.price {
				o.price, o.posPrev, o.backPrev, o.prev1IsChar = c, 0, int32(dist)+lzmaReps, false
			}
			if uint32(l) == matches[offs] {
				offs += 2
				if offs == len(matches) {
					break
				}
			}
		}
	}

	cur := 0
	for {
		cur++
		if cur == lenEnd {
			return p.backward(cur)
		}
		newLen := p.readMatches()
		if newLen >= p.niceLen {
			p.longestMatchLen = newLen
			return p.backward(cur)
		}
		position := pos + cur
		curOpt := &p.opt[cur]
		posPrev := int(curOpt.posPrev)
		var st uint8
		if curOpt.prev1IsChar {
			posPrev--
			if curOpt.prev2 {
				st = p.opt[curOpt.posPrev2].state
				if curOpt.backPrev2 < lzmaReps {
					st = nextRep[st]
				} else {
					st = nextMatch[st]
				}
			} else {
				st = p.opt[posPrev].state
			}
			st = nextLiteral[st]
		} else {
			st = p.opt[posPrev].state
		}
		if posPrev == cur-1 {
			if curOpt.isShortRep() {
				st = nextShortRep[st]
			} else {
				st = nextLiteral[st]
			}
		} else {
			var back int32
			if curOpt.prev1IsChar && curOpt.prev2 {
				posPrev = int(curOpt.posPrev2)
				back = curOpt.backPrev2
				st = nextRep[st]
			} else {
				back = curOpt.backPrev
				if back < lzmaReps {
					st = nextRep[st]
				} else {
					st = nextMatch[st]
				}
			}
			prev := &p.opt[posPrev]
			if back < lzmaReps {
				reps[0] = prev.backs[back]
				i := 1
				for ; i <= int(back); i++ {
					reps[i] = prev.backs[i-1]
				}
				for ; i < lzmaReps; i++ {
					reps[i] = prev.backs[i]
				}
			} else {
				reps[0] = uint32(back - lzmaReps)
				for i := 1; i < lzmaReps; i++ {
					reps[i] = prev.backs[i-1]
				}
			}
		}
		curOpt.state = st
		curOpt.backs = reps
		curPrice := curOpt.price
		nextIsChar := false
		curByte := d[position]
		matchByte := d[position-int(reps[0])-1]
		posState := uint32(position) & lzmaPBMask

		curAnd1Price := curPrice + price0(m.isMatch[st][posState]) + m.literalPrice(d, position, st, matchByte)
		nextOpt := &p.opt[cur+1]
		if curAnd1Price < nextOpt.price {
			nextOpt.price, nextOpt.posPrev = curAnd1Price, int32(cur)
			nextOpt.makeLiteral()
			nextIsChar = true
		}
		matchPrice := curPrice + price1(m.isMatch[st][posState])
		repMatchPrice := matchPrice + price1(m.isRep[st])
		if matchByte == curByte && !(int(nextOpt.posPrev) < cur && nextOpt.backPrev == 0) {
			if sr := repMatchPrice + m.shortRepPrice(st, posState); sr <= nextOpt.price {
				nextOpt.price, nextOpt.posPrev = sr, int32(cur)
				nextOpt.makeShortRep()
				nextIsChar = true
			}
		}
		numAvailFull := min(p.numAvail, numOpts-1-cur)
		if numAvailFull < 2 {
			continue
		}
		numAvail := min(numAvailFull, p.niceLen)

		if !nextIsChar && matchByte != curByte {
			// Literal, then rep0.
			src := position - int(reps[0]) - 1
			limit := min(p.niceLen+1, numAvailFull)
			lenTest2 := matchLen(d[src+1:src+limit], d[position+1:position+limit])
			if lenTest2 >= 2 {
				st2 := nextLiteral[st]
				psNext := uint32(position+1) & lzmaPBMask
				nextRepMatchPrice := curAnd1Price + price1(m.isMatch[st2][psNext]) + price1(m.isRep[st2])
				offset := cur + 1 + lenTest2
				for lenEnd < offset {
					lenEnd++
					p.opt[lenEnd].price = infinityPrice
				}
				c := nextRepMatchPrice + m.repPrice(0, uint32(lenTest2), st2, psNext)
				if o := &p.opt[offset]; c < o.price {
					o.price, o.posPrev, o.backPrev = c, int32(cur+1), 0
					o.prev1IsChar, o.prev2 = true, false
				}
			}
		}

		startLen := 2
		for ri := range lzmaReps {
			src := position - int(reps[ri]) - 1
			if d[position] != d[src] || d[position+1] != d[src+1] {
				continue
			}
			lenTest := 2 + matchLen(d[src+2:src+numAvail], d[position+2:position+numAvail])
			for lenEnd < cur+lenTest {
				lenEnd++
				p.opt[lenEnd].price = infinityPrice
			}
			price := repMatchPrice + m.pureRepPrice(ri, st, posState)
			for lt := lenTest; lt >= 2; lt-- {
				c := price + m.repLenEnc.prices[posState][lt-matchLenMin]
				if o := &p.opt[cur+lt]; c < o.price {
					o.price, o.posPrev, o.backPrev, o.prev1IsChar = c, int32(cur), int32(ri), false
				}
			}
			if ri == 0 {
				startLen = lenTest + 1
			}
			// Rep match, literal, rep0.
			if len2 := p.literalRep0Len(position, src, lenTest, numAvailFull); len2 >= 2 {
				lenEnd = p.addLiteralRep0(cur, position, src, lenTest, len2, lenEnd,
					price+m.repLenEnc.prices[posState][lenTest-matchLenMin], nextRep[st], int32(ri))
			}
		}

		matches := p.matches[:p.numPairs]
		if newLen > numAvail {
			newLen = numAvail
			n := 0
			for uint32(newLen) > matches[n] {
				n += 2
			}
			matches[n] = uint32(newLen)
			matches = matches[:n+2]
		}
		if newLen < startLen {
			continue
		}
		normalMatchPrice := matchPrice + price0(m.isRep[st])
		for lenEnd < cur+newLen {
			lenEnd++
			p.opt[lenEnd].price = infinityPrice
		}
		offs := 0
		for uint32(startLen) > matches[offs] {
			offs += 2
		}
		curBack := matches[offs+1]
		for lt := startLen; ; lt++ {
			c := normalMatchPrice + m.lenEnc.prices[posState][lt-matchLenMin] + m.matchDistPrice(uint32(lt), curBack)
			if o := &p.opt[cur+lt]; c < o.price {
				o.price, o.posPrev, o.backPrev, o.prev1IsChar = c, int32(cur), int32(curBack)+lzmaReps, false
			}
			if uint32(lt) != matches[offs] {
				continue
			}
			// Match, literal, rep0.
			src := position - int(curBack) - 1
			if len2 := p.literalRep0Len(position, src, lt, numAvailFull); len2 >= 2 {
				lenEnd = p.addLiteralRep0(cur, position, src, lt, len2, lenEnd, c, nextMatch[st], int32(curBack)+lzmaReps)
			}
			offs += 2
			if offs == len(matches) {
				break
			}
			curBack = matches[offs+1]
		}
	}
}

// backward turns the chosen path ending at cur into forward links and
// returns its first symbol.
func (p *lzmaParser) backward(cur int) (int, int32) {
	posMem := p.opt[cur].posPrev
	backMem := p.opt[cur].backPrev
	p.optEnd = cur
	for {
		if p.opt[cur].prev1IsChar {
			p.opt[posMem].makeLiteral()
			p.opt[posMem].posPrev = posMem - 1
			if p.opt[cur].prev2 {
				p.opt[posMem-1].prev1IsChar = false
				p.opt[posMem-1].posPrev = p.opt[cur].posPrev2
				p.opt[posMem-1].backPrev = p.opt[cur].backPrev2
			}
		}
		posPrev := posMem
		backCur := backMem
		backMem = p.opt[posPrev].backPrev
		posMem = p.opt[posPrev].posPrev
		p.opt[posPrev].backPrev = backCur
		p.opt[posPrev].posPrev = int32(cur)
		cur = int(posPrev)
		if cur == 0 {
			break
		}
	}
	p.optCur = int(p.opt[0].posPrev)
	return p.optCur, p.opt[0].backPrev
}

// literalRep0Len is the length of the rep0 that could follow a symbol
// of length l at position copied from src, and one literal: the bytes
// after that literal that match the symbol's source.
func (p *lzmaParser) literalRep0Len(position, src, l, numAvailFull int) int {
	limit := min(l+1+p.niceLen, numAvailFull)
	if l+1 >= limit {
		return 0
	}
	return matchLen(p.data[src+l+1:src+limit], p.data[position+l+1:position+limit])
}

// addLiteralRep0 prices that path: the symbol (price, leaving state st,
// back its backPrev), the literal, then the rep0 of len2; when it is the
// cheapest way to the rep0's end, it is recorded there. It returns
// lenEnd, extended past the rep0.
func (p *lzmaParser) addLiteralRep0(cur, position, src, l, len2, lenEnd int, price uint32, st uint8, back int32) int {
	d, m := p.data, p.m
	psNext := uint32(position+l) & lzmaPBMask
	price += price0(m.isMatch[st][psNext]) + m.literalPrice(d, position+l, st, d[src+l])
	st = nextLiteral[st]
	psNext = uint32(position+l+1) & lzmaPBMask
	price += price1(m.isMatch[st][psNext]) + price1(m.isRep[st]) + m.repPrice(0, uint32(len2), st, psNext)
	offset := cur + l + 1 + len2
	for lenEnd < offset {
		lenEnd++
		p.opt[lenEnd].price = infinityPrice
	}
	if o := &p.opt[offset]; price < o.price {
		o.price, o.posPrev, o.backPrev = price, int32(cur+l+1), 0
		o.prev1IsChar, o.prev2 = true, true
		o.posPrev2, o.backPrev2 = int32(cur), back
	}
	return lenEnd
}
