package delta

import (
	"github.com/gostree/gostree/internal/object"
)

// partBuilder accumulates one part: the objects it creates, their mode
// and xattr tables, the data blob and the operations.
type partBuilder struct {
	objects  []object.Name
	modes    []Mode
	modeIdx  map[Mode]uint64
	xattrs   []object.Xattrs
	xattrIdx map[string]uint64
	// buf holds payloadGap free bytes, then the blob, so that the
	// serialized payload can be laid out around the blob in place.
	buf []byte
	ops []byte
	// usize is the total size of the objects created, as libostree counts
	// it for the part header.
	usize uint64
	// weight estimates the compression work of the part so far.
	weight int64
	// loose is the repository storage size of the objects copied whole,
	// for the generator's report.
	loose uint64
}

// payloadGap is the room left before the blob for the mode and xattr
// tables.
const payloadGap = 64 << 10

// newPartBuilder starts a part whose blob is expected to reach about
// sizeHint bytes (untouched capacity costs no memory).
func newPartBuilder(sizeHint int) *partBuilder {
	return &partBuilder{
		modeIdx:  map[Mode]uint64{},
		xattrIdx: map[string]uint64{},
		buf:      make([]byte, payloadGap, payloadGap+sizeHint),
	}
}

// blobLen is the size of the blob so far.
func (b *partBuilder) blobLen() int { return len(b.buf) - payloadGap }

// empty reports whether no object was added yet.
func (b *partBuilder) empty() bool { return len(b.objects) == 0 }

// modeXattrs returns the table indexes of a content object's mode and
// xattrs, adding entries as needed.
func (b *partBuilder) modeXattrs(h *object.FileHeader) (uint64, uint64) {
	m := Mode{UID: h.UID, GID: h.GID, Mode: h.Mode}
	mi, ok := b.modeIdx[m]
	if !ok {
		mi = uint64(len(b.modes))
		b.modes = append(b.modes, m)
		b.modeIdx[m] = mi
	}
	key := string(object.MarshalXattrs(h.Xattrs))
	xi, ok := b.xattrIdx[key]
	if !ok {
		xi = uint64(len(b.xattrs))
		b.xattrs = append(b.xattrs, h.Xattrs)
		b.xattrIdx[key] = xi
	}
	return mi, xi
}

// appendBlob adds data to the blob and returns its offset.
func (b *partBuilder) appendBlob(data []byte) uint64 {
	off := uint64(b.blobLen())
	b.buf = append(b.buf, data...)
	return off
}

// addMeta adds a metadata object, copied whole.
func (b *partBuilder) addMeta(n object.Name, data []byte) {
	b.objects = append(b.objects, n)
	b.usize += uint64(len(data))
	off := b.appendBlob(data)
	b.ops = AppendOp(b.ops, OpOpenSpliceAndClose, uint64(len(data)), off)
}

// addWhole adds a content object copied whole: a regular file's data or
// a symlink's target. size is what libostree counts in the part's
// uncompressed size (the stored size, 0 for a symlink read from an
// archive repository).
func (b *partBuilder) addWhole(c object.Checksum, h *object.FileHeader, data []byte, size int64) {
	b.objects = append(b.objects, object.Name{Checksum: c, Type: object.TypeFile})
	b.usize += uint64(size)
	mi, xi := b.modeXattrs(h)
	off := b.appendBlob(data)
	b.ops = AppendOp(b.ops, OpOpenSpliceAndClose, mi, xi, uint64(len(data)), off)
}

// addBsdiff adds a regular file rebuilt by bspatch from the client's copy
// of from.
func (b *partBuilder) addBsdiff(c, from object.Checksum, h *object.FileHeader, size int64, patch []byte) {
	b.objects = append(b.objects, object.Name{Checksum: c, Type: object.TypeFile})
	b.usize += uint64(size)
	mi, xi := b.modeXattrs(h)
	src := b.appendBlob(from[:])
	b.ops = AppendOp(b.ops, OpSetReadSource, src)
	b.ops = AppendOp(b.ops, OpOpen, mi, xi, uint64(size))
	off := b.appendBlob(patch)
	b.ops = AppendOp(b.ops, OpBspatch, off, uint64(len(patch)))
	b.ops = AppendOp(b.ops, OpClose)
	b.ops = AppendOp(b.ops, OpUnsetReadSource)
}

// addRollsum adds a regular file written from runs of the client's copy
// of from and literal bytes of data between them.
func (b *partBuilder) addRollsum(c, from object.Checksum, h *object.FileHeader, data []byte, matches []rollMatch) {
	b.objects = append(b.objects, object.Name{Checksum: c, Type: object.TypeFile})
	b.usize += uint64(len(data))
	mi, xi := b.modeXattrs(h)
	src := b.appendBlob(from[:])
	b.ops = AppendOp(b.ops, OpOpen, mi, xi, uint64(len(data)))
	pos, fromSource := 0, false
	literal := func(end int) {
		if end <= pos {
			return
		}
		if fromSource {
			b.ops = AppendOp(b.ops, OpUnsetReadSource)
			fromSource = false
		}
		off := b.appendBlob(data[pos:end])
		b.ops = AppendOp(b.ops, OpWrite, uint64(end-pos), off)
		pos = end
	}
	for _, m := range matches {
		literal(m.to)
		if !fromSource {
			b.ops = AppendOp(b.ops, OpSetReadSource, src)
			fromSource = true
		}
		b.ops = AppendOp(b.ops, OpWrite, uint64(m.n), uint64(m.from))
		pos = m.to + m.n
	}
	literal(len(data))
	if fromSource {
		b.ops = AppendOp(b.ops, OpUnsetReadSource)
	}
	b.ops = AppendOp(b.ops, OpClose)
}

// serialize returns the part's payload, (a(uuu)aa(ayay)ayay), built
// around the blob without copying it when the tables fit in the gap. The
// builder must not be used afterwards.
func (b *partBuilder) serialize() []byte {
	p := &Payload{Modes: b.modes, Xattrs: b.xattrs, Blob: b.buf[payloadGap:], Ops: b.ops}
	head, tail := p.payloadFraming()
	var out []byte
	if len(head) <= payloadGap {
		out = b.buf[payloadGap-len(head):]
		copy(out, head)
	} else {
		out = append(head, p.Blob...)
	}
	out = append(out, tail...)
	b.buf, b.ops = nil, nil
	return out
}
