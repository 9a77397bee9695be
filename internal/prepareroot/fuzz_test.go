package prepareroot

import "testing"

// FuzzParseBooted feeds arbitrary bytes to the booted-file decoder: it
// must not panic, and what it accepts must survive Marshal and a second
// parse unchanged.
func FuzzParseBooted(f *testing.F) {
	for _, b := range []Booted{{}, {Dev: 2049, Ino: 12, SysrootRO: true, TransientEtc: "/run/ostree/transient-etc"}} {
		data, err := b.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBooted(data)
		if err != nil {
			return
		}
		again, err := b.Marshal()
		if err != nil {
			return // e.g. a transient-etc string GVariant cannot hold
		}
		b2, err := ParseBooted(again)
		if err != nil || b2 != b {
			t.Fatalf("%+v became %+v, %v", b, b2, err)
		}
	})
}
