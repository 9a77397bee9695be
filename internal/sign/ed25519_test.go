package sign

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testKey is a deterministic ed25519 key pair in libostree's formats.
type testKey struct {
	priv           ed25519.PrivateKey
	secret, public string // base64: seed‖public, public
	hex            string // the public key as messages show it
}

func newTestKey(seed byte) testKey {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	pub := priv.Public().(ed25519.PublicKey)
	return testKey{
		priv:   priv,
		secret: base64.StdEncoding.EncodeToString(priv),
		public: base64.StdEncoding.EncodeToString(pub),
		hex:    hex.EncodeToString(pub),
	}
}

func newEd25519(t *testing.T, o Options) Signer {
	t.Helper()
	if o.SystemDirs == nil {
		o.SystemDirs = []string{t.TempDir()} // never the host's keys
	}
	s, err := New("ed25519", o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEd25519SignVerify(t *testing.T) {
	ctx := t.Context()
	data := []byte("commit bytes")
	k1, k2, k3, k4, k5 := newTestKey(1), newTestKey(2), newTestKey(3), newTestKey(4), newTestKey(5)
	signer := newEd25519(t, Options{})
	if err := signer.SetSecretKey(k1.secret); err != nil {
		t.Fatal(err)
	}
	sig, err := signer.Sign(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if want := ed25519.Sign(k1.priv, data); !bytes.Equal(sig, want) {
		t.Fatalf("signature differs from crypto/ed25519's")
	}
	other := ed25519.Sign(k2.priv, data)

	tests := []struct {
		name    string
		keys    []string // added in order
		revoked []string // written to a revoked file and loaded through a keys dir
		sigs    [][]byte
		wantMsg string
		wantErr string
	}{
		{name: "good", keys: []string{k1.public}, sigs: [][]byte{sig},
			wantMsg: "ed25519: Signature verified successfully with key '" + k1.hex + "'"},
		{name: "second signature", keys: []string{k1.public}, sigs: [][]byte{other, sig},
			wantMsg: "ed25519: Signature verified successfully with key '" + k1.hex + "'"},
		{name: "wrong key", keys: []string{k2.public}, sigs: [][]byte{sig},
			wantErr: "ed25519: Signature couldn't be verified with: key '" + k2.hex + "'"},
		// Keys are tried most recent first, as libostree prepends them.
		{name: "three wrong keys", keys: []string{k2.public, k3.public, k4.public}, sigs: [][]byte{sig},
			wantErr: "ed25519: Signature couldn't be verified with: key '" + k4.hex + "'; key '" + k3.hex + "'; key '" + k2.hex + "'"},
		{name: "many wrong keys", keys: []string{k2.public, k3.public, k4.public, k5.public}, sigs: [][]byte{sig},
			wantErr: "ed25519: Signature couldn't be verified; tried 4 keys"},
		{name: "duplicate keys count once", keys: []string{k2.public, k2.public}, sigs: [][]byte{sig},
			wantErr: "ed25519: Signature couldn't be verified with: key '" + k2.hex + "'"},
		{name: "pairs are counted", keys: []string{k2.public, k3.public}, sigs: [][]byte{sig, sig},
			wantErr: "ed25519: Signature couldn't be verified; tried 4 keys"},
		{name: "revoked", keys: []string{k1.public}, revoked: []string{k1.public}, sigs: [][]byte{sig},
			wantErr: "ed25519: no signatures found"},
		{name: "revoked and wrong", keys: []string{k1.public, k2.public}, revoked: []string{k1.public}, sigs: [][]byte{sig},
			wantErr: "ed25519: Signature couldn't be verified with: key '" + k2.hex + "'"},
		{name: "no entry", keys: []string{k1.public}, sigs: nil,
			wantErr: "ed25519: commit have no signatures of my type"},
		{name: "empty list", keys: []string{k1.public}, sigs: [][]byte{},
			wantErr: "ed25519: no signatures found"},
		{name: "short signature", keys: []string{k1.public}, sigs: [][]byte{sig[:63]},
			wantErr: "Invalid signature length of 63 bytes, expected 64"},
		{name: "tampered", keys: []string{k1.public}, sigs: [][]byte{append([]byte{sig[0] ^ 1}, sig[1:]...)},
			wantErr: "ed25519: Signature couldn't be verified with: key '" + k1.hex + "'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := newEd25519(t, Options{})
			if tc.revoked != nil {
				writeFile(t, filepath.Join(dir, "trusted.ed25519"), tc.keys[0]+"\n")
				writeFile(t, filepath.Join(dir, "revoked.ed25519.d", "r"), strings.Join(tc.revoked, "\n")+"\n")
				if err := s.LoadKeysDir(dir); err != nil {
					t.Fatal(err)
				}
				tc.keys = tc.keys[1:]
			}
			for _, k := range tc.keys {
				if err := s.AddPublicKey(k); err != nil {
					t.Fatal(err)
				}
			}
			msg, err := s.Verify(ctx, data, tc.sigs)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || msg != tc.wantMsg {
				t.Fatalf("Verify = %q, %v; want %q", msg, err, tc.wantMsg)
			}
		})
	}
}

func TestEd25519KeyErrors(t *testing.T) {
	k := newTestKey(7)
	tests := []struct {
		name, key string
		set       func(Signer, string) error
		want      string
	}{
		{"secret too short", k.public, Signer.SetSecretKey, "Incorrect ed25519 secret key"},
		{"secret garbage", "dummysign", Signer.SetSecretKey, "Incorrect ed25519 secret key"},
		{"public too long", k.secret, Signer.AddPublicKey, "Incorrect ed25519 public key"},
		{"public empty", "", Signer.SetPublicKey, "Incorrect ed25519 public key"},
		{"secret ok", k.secret, Signer.SetSecretKey, ""},
		// GLib's decoder skips what is not base64, such as a '\r'.
		{"public with CR", k.public + "\r", Signer.AddPublicKey, ""},
		{"public with spaces", " " + k.public[:10] + " " + k.public[10:], Signer.AddPublicKey, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.set(newEd25519(t, Options{}), tc.key)
			if got := errString(err); got != tc.want {
				t.Fatalf("error = %q, want %q", got, tc.want)
			}
		})
	}
	s := newEd25519(t, Options{})
	if _, err := s.Sign(t.Context(), []byte("x")); errString(err) != "Not able to sign: secret key is not set" {
		t.Errorf("Sign without key: %v", err)
	}
	// Setting a public key drops the secret one, as in libostree.
	if err := s.SetSecretKey(k.secret); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPublicKey(k.public); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sign(t.Context(), []byte("x")); err == nil {
		t.Errorf("Sign after SetPublicKey succeeded")
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestEd25519LoadKeysFile(t *testing.T) {
	ctx := t.Context()
	good, bad := newTestKey(1), newTestKey(2)
	data := []byte("data")
	sig := ed25519.Sign(good.priv, data)
	dir := t.TempDir()
	tests := []struct {
		name     string
		contents *string // nil: path is a directory
		wantLoad string
		verifies bool
	}{
		{name: "one key", contents: ptr(good.public + "\n"), verifies: true},
		{name: "no final newline", contents: ptr(bad.public + "\n" + good.public), verifies: true},
		{name: "CRLF", contents: ptr(bad.public + "\r\n" + good.public + "\r\n"), verifies: true},
		{name: "invalid lines are skipped", contents: ptr("junk\n\n" + good.public + "\n"), verifies: true},
		{name: "only a wrong key", contents: ptr(bad.public + "\n")},
		{name: "empty", contents: ptr(""), wantLoad: "signature: ed25519: no valid keys in file '%s'"},
		{name: "only invalid lines", contents: ptr("junk\n"), wantLoad: "Incorrect ed25519 public key"},
		{name: "directory", wantLoad: "File object '%s' is not a regular file"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.Repeat("k", i+1))
			if tc.contents == nil {
				if err := os.Mkdir(p, 0o755); err != nil {
					t.Fatal(err)
				}
			} else {
				writeFile(t, p, *tc.contents)
			}
			s := newEd25519(t, Options{})
			err := s.LoadKeysFile(p)
			want := tc.wantLoad
			if strings.Contains(want, "%s") {
				want = strings.ReplaceAll(want, "%s", p)
			}
			if errString(err) != want {
				t.Fatalf("LoadKeysFile: %v, want %q", err, want)
			}
			if err != nil {
				return
			}
			_, err = s.Verify(ctx, data, [][]byte{sig})
			if (err == nil) != tc.verifies {
				t.Fatalf("Verify: %v, want success %v", err, tc.verifies)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestEd25519KeysDir(t *testing.T) {
	ctx := t.Context()
	good, bad := newTestKey(1), newTestKey(2)
	data := []byte("data")
	sigs := [][]byte{ed25519.Sign(good.priv, data)}
	tests := []struct {
		name    string
		files   map[string]string
		wantErr string
	}{
		{name: "trusted file", files: map[string]string{"trusted.ed25519": good.public + "\n"}},
		{name: "trusted dir", files: map[string]string{
			"trusted.ed25519.d/a": bad.public + "\n", "trusted.ed25519.d/b": good.public + "\n"}},
		{name: "revoked file", wantErr: "ed25519: no signatures found", files: map[string]string{
			"trusted.ed25519": good.public + "\n", "revoked.ed25519": good.public + "\n"}},
		{name: "revoked dir", wantErr: "ed25519: Signature couldn't be verified with: key '" + bad.hex + "'", files: map[string]string{
			"trusted.ed25519.d/a": good.public + "\n" + bad.public + "\n", "revoked.ed25519.d/x": good.public + "\n"}},
		{name: "broken files are skipped", files: map[string]string{
			"trusted.ed25519": "junk\n", "trusted.ed25519.d/a": good.public + "\n", "trusted.ed25519.d/sub/x": "",
			"revoked.ed25519": "junk\n"}},
		{name: "nothing trusted", wantErr: "signature: ed25519: no keys loaded", files: map[string]string{
			"revoked.ed25519": bad.public + "\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tc.files {
				writeFile(t, filepath.Join(dir, name), data)
			}
			// Explicitly, as `ostree sign --verify --keys-dir` does...
			s := newEd25519(t, Options{})
			err := s.LoadKeysDir(dir)
			if err == nil {
				_, err = s.Verify(ctx, data, sigs)
			}
			if errString(err) != tc.wantErr {
				t.Fatalf("keys dir: %v, want %q", err, tc.wantErr)
			}
			// ...and as the system directories a Verify without keys reads,
			// behind an empty one.
			s = newEd25519(t, Options{SystemDirs: []string{t.TempDir(), dir}})
			if _, err := s.Verify(ctx, data, sigs); errString(err) != tc.wantErr {
				t.Fatalf("system dirs: %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestEd25519RejectsWeakPoints checks libsodium's rejections that Go's
// ed25519.Verify lacks: a small-order public key and R, for which a
// "signature" verifies any message under Go's rules.
func TestEd25519RejectsWeakPoints(t *testing.T) {
	// With A and R of small order (here the identity, y=1) and S = 0, the
	// cofactorless equation [S]B = R + [k]A holds for every message.
	identity := make([]byte, 32)
	identity[0] = 1
	sig := append(append([]byte{}, identity...), make([]byte, 32)...)
	if !ed25519.Verify(identity, []byte("anything"), sig) {
		t.Skip("crypto/ed25519 rejects the identity itself")
	}
	if verifyEd25519(identity, []byte("anything"), sig) {
		t.Fatal("accepted a signature by a small-order key")
	}
	for i, p := range smallOrderPoints {
		if !hasSmallOrder(p[:]) {
			t.Errorf("point %d not detected", i)
		}
		q := p
		q[31] |= 0x80 // the sign bit does not matter
		if !hasSmallOrder(q[:]) {
			t.Errorf("point %d with sign bit not detected", i)
		}
	}
	if isCanonicalPoint(smallOrderPoints[5][:]) || !isCanonicalPoint(smallOrderPoints[4][:]) {
		t.Errorf("p is canonical or p-1 is not")
	}
	if k := newTestKey(9); hasSmallOrder(k.priv[32:]) || !isCanonicalPoint(k.priv[32:]) {
		t.Errorf("a real key is refused")
	}
}

func TestDecodeBase64GLib(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Zm9v", "foo"},
		{"Zm9vYg==", "foob"},
		{"Zm9vYmE=", "fooba"},
		{"Zm9v\r\n", "foo"},
		{"Z m9v!", "foo"},
		{"Zm9vY", "foo"}, // a partial group is dropped
		{"=", ""},
	}
	for _, tc := range tests {
		if got := string(decodeBase64GLib(tc.in)); got != tc.want {
			t.Errorf("decode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for n := range 70 {
		b := bytes.Repeat([]byte{byte(n * 7)}, n)
		if got := decodeBase64GLib(base64.StdEncoding.EncodeToString(b)); !bytes.Equal(got, b) {
			t.Errorf("round trip of %d bytes: %x", n, got)
		}
	}
}

func TestParseKeysFile(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a\n", []string{"a"}},
		{"a\n\nb\r\n", []string{"a", "", "b\r"}},
	}
	for _, tc := range tests {
		got, err := ParseKeysFile(strings.NewReader(tc.in))
		if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("ParseKeysFile(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
