package sign

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/object"
)

// FuzzEd25519KeysFile feeds keys files to the ed25519 loader: whatever
// loads must be a list of valid keys, and a line that is a canonical
// base64 public key must load.
func FuzzEd25519KeysFile(f *testing.F) {
	f.Add([]byte(fixturePublic + "\n"))
	f.Add([]byte(newTestKey(1).public + "\r\n\njunk\n" + newTestKey(2).public))
	f.Add([]byte(newTestKey(1).secret + "\n"))
	f.Add([]byte("===\n\x00\xff\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := ParseKeysFile(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(data), "\n"); len(keys) < n || len(keys) > n+1 {
			t.Fatalf("%d lines from %d newlines", len(keys), n)
		}
		s := &ed25519Signer{}
		ok := false
		for _, k := range keys {
			added := s.AddPublicKey(k) == nil
			ok = ok || added
			if b, err := base64.StdEncoding.DecodeString(k); err == nil && len(b) == ed25519.PublicKeySize && !added {
				t.Fatalf("canonical key %q refused", k)
			}
		}
		for _, pk := range s.public {
			if len(pk) != ed25519.PublicKeySize {
				t.Fatalf("loaded a %d-byte key", len(pk))
			}
		}
		if ok != (len(s.public) > 0) {
			t.Fatalf("added %v but %d keys", ok, len(s.public))
		}
	})
}

// FuzzEd25519Verify feeds detached metadata (as a pull receives it) to
// the verifier with the fixture's key: it must never panic, and only the
// fixture's own signature may verify.
func FuzzEd25519Verify(f *testing.F) {
	files := readFixture(f)
	obj := filepath.Join("repo", "objects", fixtureCommit[:2], fixtureCommit[2:])
	commit, detached := files[obj+".commit"], files[obj+".commitmeta"]
	f.Add(detached)
	f.Add([]byte("invalid\n"))
	s := &ed25519Signer{}
	if err := s.AddPublicKey(fixturePublic); err != nil {
		f.Fatal(err)
	}
	want := MetadataSignatures(mustMetadata(f, detached), s)[0]
	f.Fuzz(func(t *testing.T, data []byte) {
		md, err := object.UnmarshalMetadata(data)
		if err != nil {
			return
		}
		sigs := MetadataSignatures(md, s)
		if _, err := VerifyAny(t.Context(), []Signer{s}, commit, md); err == nil {
			found := false
			for _, sig := range sigs {
				found = found || bytes.Equal(sig, want)
			}
			if !found {
				t.Fatalf("verified without the real signature: %x", sigs)
			}
		}
	})
}

func mustMetadata(t testing.TB, b []byte) object.Metadata {
	t.Helper()
	md, err := object.UnmarshalMetadata(b)
	if err != nil {
		t.Fatal(err)
	}
	return md
}
