package sign

import (
	"bytes"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestImportKeys(t *testing.T) {
	repo := t.TempDir()
	ring := RemoteKeyringPath(repo, "R1")
	read := func(name string) *bytes.Reader { return bytes.NewReader(readTestdata(t, name)) }
	steps := []struct {
		name    string
		src     *bytes.Reader
		keyIDs  []string
		want    int
		wantErr string
		keys    []string // in the keyring afterwards
	}{
		{"first key", read("gpghome/key1.asc"), nil, 1, "", []string{keyFpr1}},
		{"same key again", read("gpghome/key1.asc"), nil, 0, "", []string{keyFpr1}},
		{"selected from a keyring", read("gpghome/trusted/pubring.gpg"), []string{keyID2, keyFpr3}, 2, "", []string{keyFpr1, keyFpr2, keyFpr3}},
		{"known keys by ID", read("gpghome/trusted/pubring.gpg"), []string{keyID1, "0D15FAE7DF444D67"}, 0, "", []string{keyFpr1, keyFpr2, keyFpr3}},
		{"missing key ID", read("gpghome/key1.asc"), []string{"DEADBEEF"}, 0, `Unable to find key "DEADBEEF": GPGME: End of file`, nil},
		{"no keys", bytes.NewReader([]byte("garbage\n")), nil, 0, "Unable to export keys: GPGME: No data", nil},
		{"empty", bytes.NewReader(nil), nil, 0, "Unable to export keys: GPGME: No data", nil},
		{"revocation merges", bytes.NewReader(withRevocation(t)), nil, 0, "", []string{keyFpr1, keyFpr2, keyFpr3}},
	}
	for _, st := range steps {
		n, err := ImportKeys(t.Context(), repo, "R1", st.src, st.keyIDs)
		if st.wantErr != "" {
			if err == nil || err.Error() != st.wantErr {
				t.Errorf("%s: error %v, want %q", st.name, err, st.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if n != st.want {
			t.Errorf("%s: imported %d, want %d", st.name, n, st.want)
		}
		kr, err := ParseKeys(mustRead(t, ring))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(st.keys, fingerprints(kr)); diff != "" {
			t.Errorf("%s: keyring (-want +got):\n%s", st.name, diff)
		}
	}
	kr, _ := ParseKeys(mustRead(t, ring))
	if !kr.Keys[0].Revoked {
		t.Error("the revocation was not merged")
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestImportMatchesReference: importing key1.asc and key2.asc gives the
// keyring `ostree remote gpg-import` (through gpgme) wrote, byte for byte
// (testdata/golden/key1-key2.trustedkeys.gpg).
func TestImportMatchesReference(t *testing.T) {
	repo := t.TempDir()
	for _, f := range []string{"gpghome/key1.asc", "gpghome/key2.asc"} {
		if _, err := ImportKeys(t.Context(), repo, "R1", bytes.NewReader(readTestdata(t, f)), nil); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(mustRead(t, RemoteKeyringPath(repo, "R1")), readTestdata(t, "golden/key1-key2.trustedkeys.gpg")) {
		t.Error("keyring differs from the reference's")
	}
}
