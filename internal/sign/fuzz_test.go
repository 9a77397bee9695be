package sign

import (
	"testing"
	"time"
)

func FuzzParseKeys(f *testing.F) {
	for _, name := range []string{"gpghome/key1.asc", "gpghome/pubring.gpg", "gpghome/secring.gpg", "gpghome/revocations/key1.rev", "golden/key1-key2.trustedkeys.gpg"} {
		f.Add(readTestdata(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		kr, err := ParseKeys(data)
		if err != nil {
			return
		}
		// What parses survives a round trip.
		again, err := ParseKeys(kr.Marshal())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if len(again.Keys) != len(kr.Keys) {
			t.Fatalf("%d keys became %d", len(kr.Keys), len(again.Keys))
		}
		for _, k := range kr.Info(time.Unix(0, 0)) {
			_ = FormatKeyInfo(k)
		}
	})
}

func FuzzVerify(f *testing.F) {
	data := readTestdata(f, "golden/golden.data")
	f.Add(readTestdata(f, "golden/golden-key1.sig"))
	f.Add(append(readTestdata(f, "golden/golden-key1.sig"), readTestdata(f, "golden/golden-key2.sig")...))
	kr := testKeys(f, "gpghome/pubring.gpg")
	f.Fuzz(func(t *testing.T, sigs []byte) {
		res, err := Verify(t.Context(), kr, data, sigs, epoch)
		if err != nil {
			return
		}
		for i := range res.Signatures {
			_ = res.Describe(i, "  ")
		}
		_ = res.RequireValid()
	})
}
