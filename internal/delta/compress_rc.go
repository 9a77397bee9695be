package delta

// This file is the range coder of the LZMA encoder (compress_lzma.go) and
// the bit-price tables its parser uses. The algorithms are those of Igor
// Pavlov's LZMA SDK, which is in the public domain, written out here in Go.

const (
	probBits       = 11
	probInit       = 1 << (probBits - 1)
	probMoveBits   = 5
	priceShiftBits = 4 // prices are in 1/16 bit
	priceReduce    = 4 // probability bits dropped to index the price table
	infinityPrice  = 1 << 30
)

type prob uint16

// fillProbs sets probabilities to one half, as a state reset does.
func fillProbs(ps []prob) {
	for i := range ps {
		ps[i] = probInit
	}
}

// rangeEncoder writes one LZMA range-coded stream into out.
type rangeEncoder struct {
	low       uint64
	rng       uint32
	cache     byte
	cacheSize int64
	out       []byte
}

func (rc *rangeEncoder) reset() {
	rc.low, rc.rng, rc.cache, rc.cacheSize = 0, 0xFFFFFFFF, 0, 1
	rc.out = rc.out[:0]
}

// pending is how many bytes the stream holds, flushed or not.
func (rc *rangeEncoder) pending() int { return len(rc.out) + int(rc.cacheSize) + 4 }

func (rc *rangeEncoder) shiftLow() {
	if uint32(rc.low) < 0xFF000000 || rc.low>>32 != 0 {
		carry := byte(rc.low >> 32)
		temp := rc.cache
		for {
			rc.out = append(rc.out, temp+carry)
			temp = 0xFF
			rc.cacheSize--
			if rc.cacheSize == 0 {
				break
			}
		}
		rc.cache = byte(rc.low >> 24)
	}
	rc.cacheSize++
	rc.low = (rc.low & 0x00FFFFFF) << 8
}

func (rc *rangeEncoder) flush() {
	for range 5 {
		rc.shiftLow()
	}
}

func (rc *rangeEncoder) bit(p *prob, b uint32) {
	bound := (rc.rng >> probBits) * uint32(*p)
	if b == 0 {
		rc.rng = bound
		*p += (1<<probBits - *p) >> probMoveBits
	} else {
		rc.low += uint64(bound)
		rc.rng -= bound
		*p -= *p >> probMoveBits
	}
	for rc.rng < 1<<24 {
		rc.rng <<= 8
		rc.shiftLow()
	}
}

// direct writes the low n bits of v, most significant first, at fixed
// probability one half.
func (rc *rangeEncoder) direct(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		rc.rng >>= 1
		if (v>>uint(i))&1 != 0 {
			rc.low += uint64(rc.rng)
		}
		for rc.rng < 1<<24 {
			rc.rng <<= 8
			rc.shiftLow()
		}
	}
}

// tree writes the low n bits of v through a bit tree, most significant
// bit first.
func (rc *rangeEncoder) tree(probs []prob, n int, v uint32) {
	m := uint32(1)
	for i := n - 1; i >= 0; i-- {
		b := (v >> uint(i)) & 1
		rc.bit(&probs[m], b)
		m = m<<1 | b
	}
}

// reverseTree writes the low n bits of v through a bit tree, least
// significant bit first.
func (rc *rangeEncoder) reverseTree(probs []prob, n int, v uint32) {
	m := uint32(1)
	for range n {
		b := v & 1
		v >>= 1
		rc.bit(&probs[m], b)
		m = m<<1 | b
	}
}

// bitPrices[p>>priceReduce] is the cost of coding a 0 at probability p.
var bitPrices = func() (t [1 << (probBits - priceReduce)]uint32) {
	// -log2(x) in 1/16 bit, by repeated squaring as the SDK does.
	const cyclesBits = priceShiftBits
	for i := range t {
		w := uint32(i<<priceReduce + 1<<(priceReduce-1))
		bitCount := uint32(0)
		for range cyclesBits {
			w *= w
			bitCount <<= 1
			for w >= 1<<16 {
				w >>= 1
				bitCount++
			}
		}
		t[i] = (probBits << cyclesBits) - 15 - bitCount
	}
	return t
}()

func price0(p prob) uint32 { return bitPrices[p>>priceReduce] }
func price1(p prob) uint32 { return bitPrices[(p^(1<<probBits-1))>>priceReduce] }
func priceBit(p prob, b uint32) uint32 {
	if b == 0 {
		return price0(p)
	}
	return price1(p)
}

func treePrice(probs []prob, n int, v uint32) uint32 {
	price := uint32(0)
	m := uint32(1)
	for i := n - 1; i >= 0; i-- {
		b := (v >> uint(i)) & 1
		price += priceBit(probs[m], b)
		m = m<<1 | b
	}
	return price
}

func reverseTreePrice(probs []prob, n int, v uint32) uint32 {
	price := uint32(0)
	m := uint32(1)
	for range n {
		b := v & 1
		v >>= 1
		price += priceBit(probs[m], b)
		m = m<<1 | b
	}
	return price
}
