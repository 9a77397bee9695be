package delta

import (
	"encoding/binary"
	"hash/crc32"
	"hash/crc64"
	"io"
	"math"
)

// This file frames the LZMA encoder's output: LZMA2 chunks (at most 2 MiB
// of data and 64 KiB of compressed bytes each, stored uncompressed when
// that is smaller) in a single-block xz stream with a CRC64 check, which
// liblzma's stream decoder (libostree's part reader) accepts.

// xzOptions tune the encoder.
type xzOptions struct {
	// dict bounds match distances; 0 means 16 MiB.
	dict int
	// niceLen: a match this long is taken without further search.
	niceLen int
	// depth is how many tree nodes the match finder visits.
	depth int
}

func (o *xzOptions) setDefaults(n int) {
	if o.dict == 0 {
		o.dict = 16 << 20
	}
	o.dict = min(o.dict, max(n, 1<<12))
	if o.niceLen == 0 {
		o.niceLen = 64
	}
	if o.depth == 0 {
		o.depth = 24
	}
}

const (
	lzma2MaxUnpacked = 1 << 21
	lzma2MaxPacked   = 1 << 16
	// chunkMargin is room left in a chunk for the symbols the parser has
	// chosen but not yet coded.
	chunkMarginPacked   = 8 << 10
	chunkMarginUnpacked = numOpts + matchLenMax + 16
)

var crc64Table = crc64.MakeTable(crc64.ECMA)

// writeXZ compresses data as an xz stream.
func writeXZ(w io.Writer, data []byte, opts xzOptions) error {
	opts.setDefaults(len(data))
	var hdr [12]byte
	copy(hdr[:], "\xfd7zXZ\x00\x00\x04") // magic, flags: CRC64
	binary.LittleEndian.PutUint32(hdr[8:], crc32.ChecksumIEEE(hdr[6:8]))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	// Block header: size, flags (one filter, no sizes), LZMA2 filter
	// (ID 0x21, one property byte: the dictionary size), padding, CRC32.
	var bh [12]byte
	bh[0] = byte(len(bh)/4 - 1)
	bh[2], bh[3], bh[4] = 0x21, 1, dictSizeByte(opts.dict)
	binary.LittleEndian.PutUint32(bh[8:], crc32.ChecksumIEEE(bh[:8]))
	if _, err := w.Write(bh[:]); err != nil {
		return err
	}
	cw := &countingWriter{w: w}
	if err := writeLZMA2(cw, data, opts); err != nil {
		return err
	}
	packed := cw.n
	var tail []byte
	for (packed+int64(len(tail)))%4 != 0 {
		tail = append(tail, 0)
	}
	tail = binary.LittleEndian.AppendUint64(tail, crc64.Checksum(data, crc64Table))
	// Index: one record (unpadded block size, uncompressed size).
	index := []byte{0}
	index = binary.AppendUvarint(index, 1)
	index = binary.AppendUvarint(index, uint64(len(bh))+uint64(packed)+8)
	index = binary.AppendUvarint(index, uint64(len(data)))
	for len(index)%4 != 0 {
		index = append(index, 0)
	}
	index = binary.LittleEndian.AppendUint32(index, crc32.ChecksumIEEE(index))
	tail = append(tail, index...)
	// Stream footer: CRC32, backward size, flags, magic.
	var ft [12]byte
	binary.LittleEndian.PutUint32(ft[4:], uint32(len(index)/4-1))
	ft[9] = 0x04
	ft[10], ft[11] = 'Y', 'Z'
	binary.LittleEndian.PutUint32(ft[0:], crc32.ChecksumIEEE(ft[4:10]))
	tail = append(tail, ft[:]...)
	_, err := w.Write(tail)
	return err
}

// dictSizeByte encodes a dictionary size as the LZMA2 property byte:
// the smallest 2^n or 3·2^(n-1), at least 4 KiB, not below dict.
func dictSizeByte(dict int) byte {
	b := byte(0)
	for (2|uint64(b&1))<<(b/2+11) < uint64(dict) {
		b++
	}
	return b
}

// writeLZMA2 writes data as LZMA2 chunks and the end marker.
func writeLZMA2(w io.Writer, data []byte, opts xzOptions) error {
	if len(data) == 0 {
		_, err := w.Write([]byte{0})
		return err
	}
	m := new(lzmaModel)
	m.reset(opts.niceLen)
	mf := newBinaryTrees(data, opts.dict, opts.depth, opts.niceLen)
	p := newLZMAParser(data, mf, m, opts.niceLen, opts.depth)
	rc := &rangeEncoder{out: make([]byte, 0, lzma2MaxPacked+64)}
	rc.reset()

	needDictReset, needProps, needStateReset := true, true, false
	chunkStart := 0
	var hdr [6]byte
	flush := func(end int) error {
		rc.flush()
		usize := end - chunkStart
		if len(rc.out) >= usize {
			// Incompressible: store it, and restart the model, which the
			// decoder never saw coding these bytes.
			for s := chunkStart; s < end; s += 1 << 16 {
				e := min(end, s+1<<16)
				ctl := byte(2)
				if needDictReset {
					ctl = 1
					needDictReset = false
				}
				h := []byte{ctl, byte((e - s - 1) >> 8), byte(e - s - 1)}
				if _, err := w.Write(h); err != nil {
					return err
				}
				if _, err := w.Write(data[s:e]); err != nil {
					return err
				}
			}
			m.reset(opts.niceLen)
			needStateReset = true
		} else {
			ctl := byte(0x80)
			switch {
			case needDictReset:
				ctl = 0xE0
			case needProps:
				ctl = 0xC0
			case needStateReset:
				ctl = 0xA0
			}
			u, c := usize-1, len(rc.out)-1
			hdr[0] = ctl | byte(u>>16)
			hdr[1], hdr[2] = byte(u>>8), byte(u)
			hdr[3], hdr[4] = byte(c>>8), byte(c)
			n := 5
			if ctl >= 0xC0 {
				hdr[5] = lzma2Props
				n = 6
			}
			if _, err := w.Write(hdr[:n]); err != nil {
				return err
			}
			if _, err := w.Write(rc.out); err != nil {
				return err
			}
			needDictReset, needProps, needStateReset = false, false, false
		}
		rc.reset()
		chunkStart = end
		return nil
	}

	// The first byte is always a literal (there is nothing to match).
	p.readMatches()
	m.encodeLiteral(rc, data, 0)
	p.additionalOffset--
	pos := 1
	for pos < len(data) {
		if p.additionalOffset == 0 {
			if pos-chunkStart+chunkMarginUnpacked > lzma2MaxUnpacked || rc.pending()+chunkMarginPacked > lzma2MaxPacked {
				if err := flush(pos); err != nil {
					return err
				}
			}
			// Already-compressed data (packages, gzip files) is stored
			// without running the match finder and parser over it.
			for pos == chunkStart && pos < len(data) && looksRandom(data[pos:min(len(data), pos+1<<16)]) {
				end := min(len(data), pos+1<<16)
				ctl := byte(2)
				if needDictReset {
					ctl, needDictReset = 1, false
				}
				if _, err := w.Write([]byte{ctl, byte((end - pos - 1) >> 8), byte(end - pos - 1)}); err != nil {
					return err
				}
				if _, err := w.Write(data[pos:end]); err != nil {
					return err
				}
				m.reset(opts.niceLen)
				needStateReset = true
				pos, chunkStart, p.mfPos = end, end, end
			}
			if pos == len(data) {
				break
			}
		}
		l, back := p.next(pos)
		switch {
		case back == backLiteral:
			m.encodeLiteral(rc, data, pos)
		case back < lzmaReps:
			m.encodeRep(rc, pos, uint32(l), int(back))
		default:
			m.encodeMatch(rc, pos, uint32(l), uint32(back-lzmaReps))
		}
		pos += l
		p.additionalOffset -= l
		if p.additionalOffset == 0 {
			if m.matchPriceCount >= 1<<7 {
				m.fillDistancePrices()
			}
			if m.alignPriceCount >= 1<<alignBits {
				m.fillAlignPrices()
			}
		}
	}
	if err := flush(pos); err != nil {
		return err
	}
	_, err := w.Write([]byte{0})
	return err
}

// looksRandom reports whether a block's byte distribution is so even
// (over 7.98 bits of entropy per byte) that LZMA cannot shrink it.
func looksRandom(b []byte) bool {
	if len(b) < 4096 {
		return false
	}
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	n := float64(len(b))
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			f := float64(c) / n
			h -= f * math.Log2(f)
		}
	}
	return h > 7.98
}
