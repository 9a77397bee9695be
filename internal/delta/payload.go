package delta

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
)

// Compression types: the first byte of a part file.
const (
	CompressionNone byte = 0
	CompressionXZ   byte = 'x'
)

// Mode is one (uid, gid, mode) entry of a part's mode table; the
// numbers are stored big-endian.
type Mode struct {
	UID, GID, Mode uint32
}

// modeLen is the size of a serialized (uuu).
const modeLen = 12

// aayType has the same framing as aa(ayay): both are arrays of
// variable-size, 1-aligned elements.
var aayType = gvariant.MustType("aay")

// Payload is a part's decompressed content, (a(uuu)aa(ayay)ayay): the
// mode and xattr tables content objects refer to by index, the data
// blob the operations read from, and the operations.
type Payload struct {
	Modes  []Mode
	Xattrs []object.Xattrs
	Blob   []byte
	Ops    []byte
}

// Marshal serializes the payload in normal form.
func (p *Payload) Marshal() []byte {
	xs := make([]any, len(p.Xattrs))
	for i, x := range p.Xattrs {
		xs[i] = object.MarshalXattrs(x)
	}
	xattrs := gvariant.MustMarshal(aayType, xs)
	body := len(p.Modes)*modeLen + len(xattrs) + len(p.Blob) + len(p.Ops)
	w := offsetWidthFor(body, 3)
	out := make([]byte, 0, body+3*w)
	for _, m := range p.Modes {
		out = binary.BigEndian.AppendUint32(out, m.UID)
		out = binary.BigEndian.AppendUint32(out, m.GID)
		out = binary.BigEndian.AppendUint32(out, m.Mode)
	}
	modesEnd := len(out)
	out = append(out, xattrs...)
	xattrsEnd := len(out)
	out = append(out, p.Blob...)
	blobEnd := len(out)
	out = append(out, p.Ops...)
	for _, o := range []int{blobEnd, xattrsEnd, modesEnd} {
		out = appendOffset(out, uint64(o), w)
	}
	return out
}

// UnmarshalPayload parses a part payload. Blob and Ops alias b, so
// that a large payload (typically a mapped file) is never copied.
func UnmarshalPayload(b []byte) (*Payload, error) {
	var w int
	switch n := uint64(len(b)); {
	case n == 0:
		return nil, payloadErr("empty")
	case n <= 0xff:
		w = 1
	case n <= 0xffff:
		w = 2
	case n <= 0xffffffff:
		w = 4
	default:
		w = 8
	}
	if len(b) < 3*w {
		return nil, payloadErr("%d bytes is too short", len(b))
	}
	bodyEnd := uint64(len(b) - 3*w)
	modesEnd := readOffset(b[len(b)-w:], w)
	xattrsEnd := readOffset(b[len(b)-2*w:], w)
	blobEnd := readOffset(b[len(b)-3*w:], w)
	if modesEnd > xattrsEnd || xattrsEnd > blobEnd || blobEnd > bodyEnd {
		return nil, payloadErr("framing offsets out of range")
	}
	if modesEnd%modeLen != 0 {
		return nil, payloadErr("mode table of %d bytes", modesEnd)
	}
	p := &Payload{
		Modes: make([]Mode, modesEnd/modeLen),
		Blob:  b[xattrsEnd:blobEnd:blobEnd],
		Ops:   b[blobEnd:bodyEnd:bodyEnd],
	}
	for i := range p.Modes {
		m := b[i*modeLen:]
		p.Modes[i] = Mode{binary.BigEndian.Uint32(m), binary.BigEndian.Uint32(m[4:]), binary.BigEndian.Uint32(m[8:])}
	}
	if xattrsEnd > modesEnd {
		v, err := gvariant.Unmarshal(aayType, b[modesEnd:xattrsEnd])
		if err != nil {
			return nil, payloadErr("xattr table: %v", err)
		}
		for i, e := range v.([]any) {
			x, err := object.UnmarshalXattrs(e.([]byte))
			if err != nil {
				return nil, payloadErr("xattr table entry %d: %v", i, err)
			}
			p.Xattrs = append(p.Xattrs, x)
		}
	}
	return p, nil
}

// WritePart writes a part file: the compression byte, then the payload
// as is (CompressionNone) or as an xz stream with a CRC64 check
// (CompressionXZ), as libostree writes it. The part header's checksum
// and size are those of everything written.
func WritePart(w io.Writer, comp byte, payload []byte) error {
	if _, err := w.Write([]byte{comp}); err != nil {
		return err
	}
	switch comp {
	case CompressionNone:
		_, err := w.Write(payload)
		return err
	case CompressionXZ:
		return compressXZ(w, payload)
	}
	return fmt.Errorf("Invalid compression type '%d': %w", comp, errdefs.ErrInvalid)
}

func payloadErr(format string, args ...any) error {
	return fmt.Errorf("delta part payload: %w: %s", errdefs.ErrCorrupt, fmt.Sprintf(format, args...))
}

// offsetWidthFor is the framing-offset width GVariant picks for a
// container with a body of size bytes and n offsets.
func offsetWidthFor(body, n int) int {
	for _, w := range []int{1, 2, 4} {
		if uint64(body+n*w) <= 1<<(8*uint(w))-1 {
			return w
		}
	}
	return 8
}

func appendOffset(b []byte, v uint64, w int) []byte {
	for i := 0; i < w; i++ {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

func readOffset(b []byte, w int) uint64 {
	var v uint64
	for i := 0; i < w; i++ {
		v |= uint64(b[i]) << (8 * i)
	}
	return v
}
