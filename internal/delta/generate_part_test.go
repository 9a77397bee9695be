package delta

import (
	"bytes"
	"testing"

	"github.com/gostree/gostree/internal/object"
)

// TestPartBuilderSerialize checks that the in-place serialization equals
// Payload.Marshal and parses back, with and without tables larger than
// the gap before the blob.
func TestPartBuilderSerialize(t *testing.T) {
	for _, nx := range []int{0, 1, 3000} {
		b := newPartBuilder(0)
		b.addMeta(object.Name{Type: object.TypeDirMeta}, []byte("meta bytes"))
		for i := range nx {
			h := &object.FileHeader{UID: 0, GID: 0, Mode: 0o100644, Xattrs: object.Xattrs{{Name: "user.n", Value: []byte{byte(i), byte(i >> 8), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}}}}
			b.addWhole(object.Checksum{byte(i)}, h, []byte("data"), 4)
		}
		b.addWhole(object.Checksum{1}, &object.FileHeader{Mode: 0o120777, Target: "t"}, []byte("t"), 0)
		want := (&Payload{Modes: b.modes, Xattrs: b.xattrs, Blob: bytes.Clone(b.buf[payloadGap:]), Ops: bytes.Clone(b.ops)}).Marshal()
		got := b.serialize()
		if !bytes.Equal(got, want) {
			t.Fatalf("%d xattrs: serialize differs from Marshal", nx)
		}
		p, err := UnmarshalPayload(got)
		if err != nil {
			t.Fatal(err)
		}
		wantModes := 2
		if nx == 0 {
			wantModes = 1
		}
		if len(p.Xattrs) != nx+1 || len(p.Modes) != wantModes {
			t.Errorf("%d xattrs: parsed %d xattr sets and %d modes", nx, len(p.Xattrs), len(p.Modes))
		}
	}
}
