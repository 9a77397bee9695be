package gvariant

import (
	"bytes"
	"testing"
)

var fuzzTypes = []string{
	"(a{sv}aya(say)sstayay)", "(a(say)a(sayay))", "(uuua(ayay))", "(tuuuusa(ayay))",
	"(a(s(taya{sv}))a{sv})", "a{sv}", "v", "mv", "(a{sv}tayay(a{sv}aya(say)sstayay)aya(uayttay)a(yaytt))",
}

// FuzzUnmarshal checks that the strict reader never panics and that
// whatever it accepts re-encodes to the identical bytes.
func FuzzUnmarshal(f *testing.F) {
	for i := range fuzzTypes {
		f.Add(uint8(i), []byte{})
		f.Add(uint8(i), []byte{0})
	}
	f.Add(uint8(5), MustMarshal(MustType("a{sv}"), []any{DictEntry{"k", NewVariant("as", []string{"x", "y"})}}))
	f.Add(uint8(6), MustMarshal(MustType("v"), NewVariant("(tuuuusa(ayay))", []any{uint64(1), uint32(0), uint32(0), uint32(0x81a4), uint32(0), "", []any{}})))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		ty := MustType(fuzzTypes[int(which)%len(fuzzTypes)])
		v, err := Unmarshal(ty, data)
		if err != nil {
			return
		}
		again, err := Marshal(ty, v)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted %x but re-encodes to %x (%v)", data, again, err)
		}
	})
}
