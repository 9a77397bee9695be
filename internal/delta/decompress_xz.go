package delta

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"math"
	"slices"

	"github.com/gostree/gostree/internal/errdefs"
)

// This file reads one xz stream (header, blocks of LZMA2 chunks with
// their checks, index, footer) as liblzma's stream decoder does for
// libostree, into memory. Every size, padding byte and check is
// verified; filters other than LZMA2 alone are refused (xz writes none
// for ostree parts).

var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0}

// xzCheckSizes are the sizes of the checks xz defines, by check ID.
var xzCheckSizes = [16]int{0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64}

type xzRecord struct{ unpadded, uncompressed uint64 }

// xzReader is the input side: every byte read is counted and, between
// marks, fed to a CRC32 (headers and the index carry one).
type xzReader struct {
	r   io.Reader
	n   int64
	crc hash.Hash32
}

func (x *xzReader) full(b []byte) error {
	n, err := io.ReadFull(x.r, b)
	x.n += int64(n)
	if x.crc != nil {
		x.crc.Write(b[:n])
	}
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return xzErr("truncated stream")
		}
		return err
	}
	return nil
}

func (x *xzReader) byte() (byte, error) {
	var b [1]byte
	err := x.full(b[:])
	return b[0], err
}

// varint reads an xz multibyte integer (at most 9 bytes, no redundant
// trailing zero byte).
func (x *xzReader) varint() (uint64, error) {
	var v uint64
	for i := 0; i < 9; i++ {
		b, err := x.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(b&0x7f) << (7 * i)
		if b&0x80 == 0 {
			if b == 0 && i > 0 {
				return 0, xzErr("bad integer")
			}
			return v, nil
		}
	}
	return 0, xzErr("bad integer")
}

func xzErr(what string) error {
	return fmt.Errorf("delta part: %w: xz: %s", errdefs.ErrCorrupt, what)
}

// readXZ decodes the xz stream at the start of r, appending its data to
// out (whose spare capacity is used first) and failing once the data
// would exceed maxOut bytes. r is left just past the stream footer.
func readXZ(r *bufio.Reader, out []byte, maxOut int64) ([]byte, error) {
	x := &xzReader{r: r}
	var hdr [12]byte
	if err := x.full(hdr[:]); err != nil {
		return nil, err
	}
	if !bytes.Equal(hdr[:6], xzMagic) {
		return nil, xzErr("not an xz stream")
	}
	flags := hdr[6:8]
	if crc32.ChecksumIEEE(flags) != binary.LittleEndian.Uint32(hdr[8:]) {
		return nil, xzErr("stream header checksum mismatch")
	}
	check := flags[1] & 0x0f
	if flags[0] != 0 || flags[1]&0xf0 != 0 {
		return nil, xzErr("unsupported stream flags")
	}
	if check != 0 && check != 1 && check != 4 && check != 10 {
		return nil, xzErr(fmt.Sprintf("unsupported check type %d", check))
	}
	var records []xzRecord
	dec := new(lzmaDecoder)
	for {
		start := x.n
		x.crc = crc32.NewIEEE()
		b, err := x.byte()
		if err != nil {
			return nil, err
		}
		if b == 0 {
			break // the index, whose CRC32 starts at this byte
		}
		x.crc = nil
		blockStart := len(out)
		if out, err = readXZBlock(x, b, dec, out, maxOut); err != nil {
			return nil, err
		}
		unpadded := x.n - start
		for x.n%4 != 0 {
			if b, err := x.byte(); err != nil {
				return nil, err
			} else if b != 0 {
				return nil, xzErr("nonzero block padding")
			}
		}
		if err := verifyXZCheck(x, check, out[blockStart:]); err != nil {
			return nil, err
		}
		unpadded += int64(xzCheckSizes[check])
		records = append(records, xzRecord{uint64(unpadded), uint64(len(out) - blockStart)})
	}
	indexStart := x.n - 1
	if err := readXZIndex(x, records); err != nil {
		return nil, err
	}
	indexSize := x.n - indexStart
	x.crc = nil
	var ft [12]byte
	if err := x.full(ft[:]); err != nil {
		return nil, err
	}
	switch {
	case crc32.ChecksumIEEE(ft[4:10]) != binary.LittleEndian.Uint32(ft[:4]):
		return nil, xzErr("stream footer checksum mismatch")
	case (int64(binary.LittleEndian.Uint32(ft[4:]))+1)*4 != indexSize:
		return nil, xzErr("stream footer does not match the index")
	case !bytes.Equal(ft[8:10], flags) || ft[10] != 'Y' || ft[11] != 'Z':
		return nil, xzErr("bad stream footer")
	}
	return out, nil
}

// readXZBlock reads a block header (its size byte b already read), then
// the block's LZMA2 chunks.
func readXZBlock(x *xzReader, b byte, dec *lzmaDecoder, out []byte, maxOut int64) ([]byte, error) {
	h := make([]byte, int(b)*4+3)
	if err := x.full(h); err != nil {
		return nil, err
	}
	body, sum := h[:len(h)-4], binary.LittleEndian.Uint32(h[len(h)-4:])
	if crc32.Update(crc32.ChecksumIEEE([]byte{b}), crc32.IEEETable, body) != sum {
		return nil, xzErr("block header checksum mismatch")
	}
	flags := body[0]
	if flags&0x3c != 0 {
		return nil, xzErr("unsupported block flags")
	}
	br := bytes.NewReader(body[1:])
	hx := &xzReader{r: br}
	compSize, uncompSize := int64(-1), int64(-1)
	if flags&0x40 != 0 {
		v, err := hx.varint()
		if err != nil || v == 0 || v > 1<<62 {
			return nil, xzErr("bad block header")
		}
		compSize = int64(v)
	}
	if flags&0x80 != 0 {
		v, err := hx.varint()
		if err != nil || v > 1<<62 {
			return nil, xzErr("bad block header")
		}
		uncompSize = int64(v)
	}
	if flags&3 != 0 {
		return nil, xzErr("unsupported filter chain (only LZMA2 alone is read)")
	}
	id, err := hx.varint()
	if err != nil {
		return nil, xzErr("bad filter flags")
	}
	size, err := hx.varint()
	if err != nil || id != 0x21 || size != 1 {
		return nil, xzErr(fmt.Sprintf("unsupported filter 0x%x", id))
	}
	d, err := hx.byte()
	if err != nil || d > 40 {
		return nil, xzErr("bad LZMA2 dictionary size")
	}
	dict := dictSize(uint64(d))
	if dict > MaxXZDict {
		return nil, fmt.Errorf("delta part: xz dictionary exceeds the %d MiB memory limit: %w", MaxXZDict>>20, errdefs.ErrCorrupt)
	}
	for {
		p, err := br.ReadByte()
		if err != nil {
			break
		}
		if p != 0 {
			return nil, xzErr("nonzero block header padding")
		}
	}
	dec.dictSize = uint32(dict)
	start, blockOut := x.n, len(out)
	if out, err = readLZMA2(x, dec, out, maxOut); err != nil {
		return nil, err
	}
	if compSize >= 0 && x.n-start != compSize || uncompSize >= 0 && int64(len(out)-blockOut) != uncompSize {
		return nil, xzErr("block sizes do not match its header")
	}
	return out, nil
}

// readLZMA2 reads LZMA2 chunks up to their end marker.
func readLZMA2(x *xzReader, dec *lzmaDecoder, out []byte, maxOut int64) ([]byte, error) {
	needDictReset, needProps := true, true
	var packed []byte
	var hdr [5]byte
	for {
		ctl, err := x.byte()
		if err != nil {
			return nil, err
		}
		if ctl == 0 {
			return out, nil
		}
		if ctl >= 0xe0 || ctl == 1 {
			needProps, needDictReset = true, false
			dec.dictStart = len(out)
		} else if needDictReset {
			return nil, xzErr("LZMA2 stream does not start with a dictionary reset")
		}
		var usize, psize int
		if ctl >= 0x80 {
			if err := x.full(hdr[:4]); err != nil {
				return nil, err
			}
			usize = int(ctl&0x1f)<<16 | int(hdr[0])<<8 | int(hdr[1]) + 1
			psize = int(hdr[2])<<8 | int(hdr[3]) + 1
			switch {
			case ctl >= 0xc0:
				p, err := x.byte()
				if err != nil {
					return nil, err
				}
				if !dec.setProps(p) {
					return nil, xzErr("bad LZMA properties")
				}
				needProps = false
				dec.resetState()
			case needProps:
				return nil, xzErr("LZMA2 chunk without properties")
			case ctl >= 0xa0:
				dec.resetState()
			}
		} else {
			if ctl > 2 {
				return nil, xzErr(fmt.Sprintf("bad LZMA2 control byte 0x%x", ctl))
			}
			if err := x.full(hdr[:2]); err != nil {
				return nil, err
			}
			usize = int(hdr[0])<<8 | int(hdr[1]) + 1
		}
		if int64(len(out))+int64(usize) > maxOut {
			return nil, tooBig(maxOut)
		}
		start := len(out)
		out = slices.Grow(out, usize)[:start+usize]
		if ctl < 0x80 {
			if err := x.full(out[start:]); err != nil {
				return nil, err
			}
			continue
		}
		packed = slices.Grow(packed[:0], psize)[:psize]
		if err := x.full(packed); err != nil {
			return nil, err
		}
		if err := dec.decodeChunk(out, start, start+usize, packed); err != nil {
			return nil, xzErr(fmt.Sprintf("corrupt LZMA2 chunk at output offset %d", start))
		}
	}
}

func verifyXZCheck(x *xzReader, check byte, data []byte) error {
	stored := make([]byte, xzCheckSizes[check])
	if err := x.full(stored); err != nil {
		return err
	}
	var sum []byte
	switch check {
	case 0:
		return nil
	case 1:
		sum = binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(data))
	case 4:
		sum = binary.LittleEndian.AppendUint64(nil, crc64.Checksum(data, crc64Table))
	case 10:
		s := sha256.Sum256(data)
		sum = s[:]
	}
	if !bytes.Equal(sum, stored) {
		return xzErr("data does not match its check")
	}
	return nil
}

// readXZIndex reads the index after its indicator byte, which the
// caller read with x.crc running, and compares it with the blocks read.
func readXZIndex(x *xzReader, records []xzRecord) error {
	n, err := x.varint()
	if err != nil {
		return err
	}
	if n != uint64(len(records)) {
		return xzErr("index does not match the blocks")
	}
	for _, rec := range records {
		u, err := x.varint()
		if err != nil {
			return err
		}
		c, err := x.varint()
		if err != nil {
			return err
		}
		if u != rec.unpadded || c != rec.uncompressed {
			return xzErr("index does not match the blocks")
		}
	}
	for x.n%4 != 0 {
		if b, err := x.byte(); err != nil {
			return err
		} else if b != 0 {
			return xzErr("nonzero index padding")
		}
	}
	sum := x.crc.Sum32()
	x.crc = nil
	var stored [4]byte
	if err := x.full(stored[:]); err != nil {
		return err
	}
	if binary.LittleEndian.Uint32(stored[:]) != sum {
		return xzErr("index checksum mismatch")
	}
	return nil
}

// dictSize decodes an LZMA2 dictionary-size property.
func dictSize(d uint64) uint64 {
	if d == 40 {
		return math.MaxUint32
	}
	return (2 | d&1) << (d/2 + 11)
}
