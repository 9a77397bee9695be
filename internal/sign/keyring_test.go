package sign

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func fingerprints(kr *Keyring) []string {
	var out []string
	for _, k := range kr.Keys {
		out = append(out, k.Fingerprint())
	}
	return out
}

func TestParseKeys(t *testing.T) {
	cat := func(names ...string) []byte {
		var b []byte
		for _, n := range names {
			b = append(b, readTestdata(t, n)...)
		}
		return b
	}
	all := []string{keyFpr1, keyFpr2, keyFpr3}
	tests := []struct {
		name   string
		data   []byte
		want   []string
		secret bool
	}{
		{"armored key", cat("gpghome/key1.asc"), []string{keyFpr1}, false},
		{"several armored blocks", cat("gpghome/key1.asc", "gpghome/key2.asc", "gpghome/key3.asc"), all, false},
		{"binary keyring with trust packets", cat("gpghome/pubring.gpg"), all, false},
		{"GnuPG 1 secret keyring", cat("gpghome/secring.gpg"), all, true},
		{"duplicates merge", cat("gpghome/key1.asc", "gpghome/key2.asc", "gpghome/key3.asc", "gpghome/key1.asc"), all, false},
		{"binary duplicates merge", cat("gpghome/trusted/pubring.gpg", "gpghome/pubring.gpg"), all, false},
		{"reference keyring", cat("golden/key1-key2.trustedkeys.gpg"), []string{keyFpr1, keyFpr2}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kr, err := ParseKeys(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, fingerprints(kr)); diff != "" {
				t.Errorf("fingerprints (-want +got):\n%s", diff)
			}
			for _, k := range kr.Keys {
				if k.HasSecret() != tc.secret {
					t.Errorf("%s: HasSecret = %v", k.Fingerprint(), k.HasSecret())
				}
				if len(k.UIDs) != 1 || k.UIDs[0].Invalid || k.UIDs[0].Revoked || k.Revoked || !k.Primary.CanSign {
					t.Errorf("%s: unexpected state %+v", k.Fingerprint(), k.UIDs[0])
				}
				if len(k.Subkeys) != 1 || !k.Subkeys[0].Bound || k.Subkeys[0].CanSign {
					t.Errorf("%s: encryption subkey state wrong", k.Fingerprint())
				}
			}
		})
	}
	k := testKeys(t, "gpghome/key1.asc").Keys[0]
	if u := k.UIDs[0]; u.ID != "Ostree Tester <test@test.com>" || u.Name != "Ostree Tester" || u.Email != "test@test.com" {
		t.Errorf("uid = %+v", u)
	}
}

func TestParseKeysErrors(t *testing.T) {
	armored := readTestdata(t, "gpghome/key1.asc")
	badSum := bytes.Replace(armored, []byte("\n="), []byte("\n=AAAA"), 1)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"garbage", []byte("borkborkbork\n")},
		{"truncated packet", readTestdata(t, "gpghome/pubring.gpg")[:100]},
		{"armor without end", armored[:len(armored)/2]},
		{"armor checksum", badSum},
		{"signature only", readTestdata(t, "golden/golden-key1.sig")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kr, err := ParseKeys(tc.data)
			if err == nil {
				t.Fatalf("parsed %d keys from bad data", len(kr.Keys))
			}
		})
	}
}

func TestKeyMatches(t *testing.T) {
	kr := testKeys(t, "gpghome/pubring.gpg")
	tests := []struct {
		spec string
		want []string
	}{
		{keyID1, []string{keyFpr1}},
		{"472CDAFA", []string{keyFpr1}},
		{"0x472cdafa", []string{keyFpr1}},
		{keyFpr2, []string{keyFpr2}},
		{"DF20F58B408DEA49", []string{keyFpr1}}, // key1's subkey
		{"<test3@test.com>", []string{keyFpr3}},
		{"=Ostree Tester II <test2@test.com>", []string{keyFpr2}},
		{"ostree tester", []string{keyFpr1, keyFpr2, keyFpr3}},
		{"@test.com", []string{keyFpr1, keyFpr2, keyFpr3}},
		{"DEADBEEFDEADBEEF", nil},
		{"<test@test.co>", nil},
		{"", nil},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, fingerprints(&Keyring{Keys: kr.Find(tc.spec)})); diff != "" {
				t.Errorf("Find(%q) (-want +got):\n%s", tc.spec, diff)
			}
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, name := range []string{"gpghome/pubring.gpg", "gpghome/secring.gpg", "gpghome/key2.asc"} {
		t.Run(name, func(t *testing.T) {
			kr := testKeys(t, name)
			ring := kr.Marshal()
			again, err := ParseKeys(ring)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(fingerprints(kr), fingerprints(again)); diff != "" {
				t.Error(diff)
			}
			if again.Keys[0].HasSecret() {
				t.Error("Marshal wrote secret key material")
			}
			if !bytes.Equal(again.Marshal(), ring) {
				t.Error("Marshal is not stable")
			}
			pkts, err := splitPackets(kr.Export())
			if err != nil {
				t.Fatal(err)
			}
			if slices.ContainsFunc(pkts, func(p rawPacket) bool { return p.tag == tagTrust || p.tag == tagSecretKey }) {
				t.Error("Export wrote trust or secret packets")
			}
		})
	}
}

// withRevocation returns key1.asc with the revocation certificate of the
// test suite merged in, as gpg --import of revocations/key1.rev does.
func withRevocation(t *testing.T) []byte {
	key, err := dearmor(readTestdata(t, "gpghome/key1.asc"))
	if err != nil {
		t.Fatal(err)
	}
	rev, err := dearmor(readTestdata(t, "gpghome/revocations/key1.rev"))
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := splitPackets(key)
	if err != nil {
		t.Fatal(err)
	}
	// The revocation signature goes right after the primary key.
	out := append(append([]byte{}, pkts[0].data...), rev...)
	for _, p := range pkts[1:] {
		out = append(out, p.data...)
	}
	return out
}

func TestMergeRevocation(t *testing.T) {
	kr := testKeys(t, "gpghome/key1.asc")
	if kr.Keys[0].Revoked {
		t.Fatal("key1 revoked before the merge")
	}
	rev, err := ParseKeys(withRevocation(t))
	if err != nil {
		t.Fatal(err)
	}
	if kr.Add(rev.Keys[0]) {
		t.Error("merging a known key reported a new key")
	}
	if len(kr.Keys) != 1 || !kr.Keys[0].Revoked {
		t.Fatalf("after merge: %d keys, revoked=%v", len(kr.Keys), kr.Keys[0].Revoked)
	}
	if len(kr.Keys[0].direct) != 1 {
		t.Errorf("revocation signatures = %d, want 1", len(kr.Keys[0].direct))
	}
	// Merging again adds nothing.
	before := kr.Marshal()
	kr.Add(rev.Keys[0])
	if !bytes.Equal(before, kr.Marshal()) {
		t.Error("merging twice changed the keyring")
	}
}

func TestAddFile(t *testing.T) {
	kr := &Keyring{}
	if err := kr.AddFile("testdata/gpghome/key3.asc"); err != nil {
		t.Fatal(err)
	}
	if err := kr.AddFile("testdata/nonexistent.asc"); err == nil {
		t.Error("AddFile of a missing file succeeded")
	}
	if err := kr.AddFile("testdata/golden/golden.data"); !errors.Is(err, errMalformed) {
		t.Errorf("AddFile of a non-key: %v", err)
	}
	if diff := cmp.Diff([]string{keyFpr3}, fingerprints(kr)); diff != "" {
		t.Error(diff)
	}
}
