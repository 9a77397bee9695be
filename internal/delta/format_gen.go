package delta

import (
	"encoding/binary"

	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
)

// payloadFraming returns the serialized payload minus its blob: what goes
// before it (the mode and xattr tables) and after it (the operations and
// the framing offsets), so that a generator can lay the blob out in place
// and serialize the part without copying it. head+Blob+tail equals
// Marshal().
func (p *Payload) payloadFraming() (head, tail []byte) {
	xs := make([]any, len(p.Xattrs))
	for i, x := range p.Xattrs {
		xs[i] = object.MarshalXattrs(x)
	}
	xattrs := gvariant.MustMarshal(aayType, xs)
	head = make([]byte, 0, len(p.Modes)*modeLen+len(xattrs))
	for _, m := range p.Modes {
		head = binary.BigEndian.AppendUint32(head, m.UID)
		head = binary.BigEndian.AppendUint32(head, m.GID)
		head = binary.BigEndian.AppendUint32(head, m.Mode)
	}
	modesEnd := len(head)
	head = append(head, xattrs...)
	xattrsEnd := len(head)
	blobEnd := xattrsEnd + len(p.Blob)
	body := blobEnd + len(p.Ops)
	w := offsetWidthFor(body, 3)
	tail = make([]byte, 0, len(p.Ops)+3*w)
	tail = append(tail, p.Ops...)
	for _, o := range []int{blobEnd, xattrsEnd, modesEnd} {
		tail = appendOffset(tail, uint64(o), w)
	}
	return head, tail
}
