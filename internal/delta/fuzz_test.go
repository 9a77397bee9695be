package delta

import (
	"bytes"
	"testing"
)

// seedFixtures adds the testdata deltas' superblocks or part files.
func seedFixtures(f *testing.F, parts bool) {
	for _, fx := range loadFixtures(f) {
		if !parts {
			f.Add(fx.superblock)
			continue
		}
		for _, p := range fx.parts {
			f.Add(p)
		}
		if sb, err := UnmarshalSuperblock(fx.superblock); err == nil {
			for i := range sb.Parts {
				if p, ok := sb.InlinePart(i); ok {
					f.Add(p)
				}
			}
		}
	}
}

func FuzzSuperblock(f *testing.F) {
	seedFixtures(f, false)
	f.Fuzz(func(t *testing.T, b []byte) {
		sb, _, _, err := ReadSuperblockFile(b)
		if err != nil {
			return
		}
		again, err := sb.Marshal()
		if err != nil {
			t.Fatalf("decoded superblock does not marshal: %v", err)
		}
		if _, err := UnmarshalSuperblock(again); err != nil {
			t.Fatalf("re-marshalled superblock does not parse: %v", err)
		}
		for i := range sb.Parts {
			sb.InlinePart(i)
		}
		sb.DetachedMetadata()
	})
}

func FuzzPart(f *testing.F) {
	seedFixtures(f, true)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := OpenPart(bytes.NewReader(b), OpenOptions{MaxPayload: 64 << 10})
		if err != nil {
			return
		}
		defer p.Close()
		again, err := UnmarshalPayload(p.Payload.Marshal())
		if err != nil {
			t.Fatalf("re-marshalled payload does not parse: %v", err)
		}
		if !bytes.Equal(again.Blob, p.Payload.Blob) || !bytes.Equal(again.Ops, p.Payload.Ops) {
			t.Fatal("payload does not round-trip")
		}
		// The interpreter must reject, never crash on, any operations.
		for _, n := range []int{0, 1, 3, 20} {
			objs := make([]objectName, n)
			for i := range objs {
				objs[i].Type = 1 + objectType(i%4)
			}
			CountOps(objs, p.Payload)
		}
	})
}
