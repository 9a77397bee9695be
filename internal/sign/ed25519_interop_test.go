package sign

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/testutil"
)

const (
	fixtureCommit = "c446da06d994d2e993fa508bd40eae1e392bdc101d02ac3783e0cf7633866b3c"
	fixturePublic = "45yzbkuEok0lLabxzdAHWUDSMZgYfxU40sN+LMfYHVA="
)

// readFixture returns the files of libostree's pre-signed-pull-data.tar.gz.
func readFixture(t testing.TB) map[string][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "pre-signed-pull-data.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[filepath.Clean(h.Name)] = b
		}
	}
}

// fixtureSecret decodes key.b64 (base64 of a PKCS#8 PEM key) into
// libostree's secret key text, base64 of seed‖public.
func fixtureSecret(t testing.TB, files map[string][]byte) string {
	t.Helper()
	der, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(files["key.b64"])))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(der)
	if blk == nil {
		t.Fatal("key.b64 holds no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k.(ed25519.PrivateKey))
}

// TestEd25519Fixture checks the libsodium-made signature of libostree's
// fixture: we verify it with the published key, and our signature of
// the same commit with the same key is the same bytes.
func TestEd25519Fixture(t *testing.T) {
	ctx := t.Context()
	files := readFixture(t)
	obj := filepath.Join("repo", "objects", fixtureCommit[:2], fixtureCommit[2:])
	commit, detached := files[obj+".commit"], files[obj+".commitmeta"]
	if got := object.Sum(commit).String(); got != fixtureCommit {
		t.Fatalf("commit checksum %s", got)
	}
	md, err := object.UnmarshalMetadata(detached)
	if err != nil {
		t.Fatal(err)
	}
	v := newEd25519(t, Options{})
	if err := v.AddPublicKey(fixturePublic); err != nil {
		t.Fatal(err)
	}
	msg, err := VerifyData(ctx, v, commit, md)
	if err != nil {
		t.Fatalf("verify fixture: %v", err)
	}
	if want := "ed25519: Signature verified successfully with key 'e39cb36e4b84a24d252da6f1cdd0075940d23198187f1538d2c37e2cc7d81d50'"; msg != want {
		t.Errorf("message %q, want %q", msg, want)
	}
	s := newEd25519(t, Options{})
	if err := s.SetSecretKey(fixtureSecret(t, files)); err != nil {
		t.Fatal(err)
	}
	ours, err := SignData(ctx, s, commit, nil)
	if err != nil {
		t.Fatal(err)
	}
	theirs := MetadataSignatures(md, s)
	if got := MetadataSignatures(ours, s); len(theirs) != 1 || len(got) != 1 || !bytes.Equal(got[0], theirs[0]) {
		t.Fatalf("our signature %x, libsodium's %x", got, theirs)
	}
	// The whole detached metadata is the same bytes too.
	if b, err := object.MarshalMetadata(ours); err != nil || !bytes.Equal(b, detached) {
		t.Errorf("commitmeta differs: %x vs %x (%v)", b, detached, err)
	}
}

// TestEd25519OpenSSL checks our keys and signatures against OpenSSL, the
// tool the test suite makes its keys with (libtest.sh gen_ed25519_keys):
// each side verifies the other's signature.
func TestEd25519OpenSSL(t *testing.T) {
	openssl := testutil.RequiresTool(t, "openssl")
	ctx := t.Context()
	dir := t.TempDir()
	run := func(args ...string) []byte {
		t.Helper()
		out, err := exec.Command(openssl, args...).Output()
		if err != nil {
			t.Fatalf("openssl %v: %v", args, err)
		}
		return out
	}
	pemKey := filepath.Join(dir, "key.pem")
	run("genpkey", "-algorithm", "ed25519", "-out", pemKey)
	pubDER, privDER := run("pkey", "-outform", "DER", "-pubout", "-in", pemKey), run("pkey", "-outform", "DER", "-in", pemKey)
	// As libtest.sh: the DER tails are the raw keys.
	pub, seed := pubDER[len(pubDER)-32:], privDER[len(privDER)-32:]
	secret := base64.StdEncoding.EncodeToString(append(append([]byte{}, seed...), pub...))
	data := []byte("the commit object bytes")
	dataPath := filepath.Join(dir, "data")
	if err := os.WriteFile(dataPath, data, 0o644); err != nil {
		t.Fatal(err)
	}

	s := newEd25519(t, Options{})
	if err := s.SetSecretKey(secret); err != nil {
		t.Fatal(err)
	}
	sig, err := s.Sign(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	sigPath := filepath.Join(dir, "ours.sig")
	if err := os.WriteFile(sigPath, sig, 0o644); err != nil {
		t.Fatal(err)
	}
	out := run("pkeyutl", "-verify", "-inkey", pemKey, "-rawin", "-in", dataPath, "-sigfile", sigPath)
	if !bytes.Contains(out, []byte("Signature Verified Successfully")) {
		t.Errorf("openssl verify: %s", out)
	}
	theirs := run("pkeyutl", "-sign", "-inkey", pemKey, "-rawin", "-in", dataPath)
	if !bytes.Equal(theirs, sig) {
		t.Errorf("openssl signature %x, ours %x", theirs, sig)
	}
	v := newEd25519(t, Options{})
	if err := v.AddPublicKey(base64.StdEncoding.EncodeToString(pub)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, data, [][]byte{theirs}); err != nil {
		t.Errorf("verify openssl's signature: %v", err)
	}
}
