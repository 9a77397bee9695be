package sign

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// TestSignMatchesGPG: an RSA signature is deterministic, so ours must be
// byte for byte gpg's (testdata/golden, made by gpg 2.2.40 with
// --faked-system-time).
func TestSignMatchesGPG(t *testing.T) {
	sec := testKeys(t, "gpghome/secring.gpg")
	data := readTestdata(t, "golden/golden.data")
	for _, tc := range []struct{ key, golden string }{
		{keyID1, "golden/golden-key1.sig"},
		{keyFpr2, "golden/golden-key2.sig"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			got, err := SignWithKey(t.Context(), sec, tc.key, data, epoch)
			if err != nil {
				t.Fatal(err)
			}
			if want := readTestdata(t, tc.golden); !bytes.Equal(got, want) {
				t.Errorf("signature differs from gpg's\n got %x\nwant %x", got, want)
			}
		})
	}
}

func TestSignAlgorithms(t *testing.T) {
	data := []byte("some commit bytes")
	tests := []struct {
		name     string
		o        genOpts
		hashName string
		algo     string
	}{
		{"rsa", genOpts{name: "R", algo: packet.PubKeyAlgoRSA}, "SHA512", "RSA"},
		{"eddsa", genOpts{name: "E", algo: packet.PubKeyAlgoEdDSA, curve: packet.Curve25519}, "SHA256", "EdDSA"},
		{"ecdsa p256", genOpts{name: "P", algo: packet.PubKeyAlgoECDSA, curve: packet.CurveNistP256}, "SHA256", "ECDSA"},
		{"ecdsa p384", genOpts{name: "Q", algo: packet.PubKeyAlgoECDSA, curve: packet.CurveNistP384}, "SHA384", "ECDSA"},
		{"signing subkey", genOpts{name: "S", algo: packet.PubKeyAlgoEdDSA, curve: packet.Curve25519, signSub: true}, "SHA256", "EdDSA"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sec := genKey(t, epoch, tc.o)
			sig, err := SignWithKey(t.Context(), sec, tc.o.name, data, epoch.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Verify(t.Context(), publicOnly(t, sec), data, sig, epoch.Add(2*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			s := res.Signatures[0]
			if !s.Valid || s.HashAlgo != tc.hashName || s.PubkeyAlgo != tc.algo || s.Timestamp != epoch.Add(time.Hour).Unix() {
				t.Errorf("signature = %+v", s)
			}
			k := sec.Keys[0]
			wantSigner := k.Primary.Fingerprint()
			if tc.o.signSub {
				wantSigner = k.Subkeys[len(k.Subkeys)-1].Fingerprint()
			}
			if s.Fingerprint != wantSigner || s.FingerprintPrimary != k.Fingerprint() {
				t.Errorf("signed by %s (primary %s), want %s", s.Fingerprint, s.FingerprintPrimary, wantSigner)
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	sec := testKeys(t, "gpghome/secring.gpg")
	pub := testKeys(t, "gpghome/pubring.gpg")
	tests := []struct {
		name string
		kr   *Keyring
		key  string
		want string
	}{
		{"unknown key", sec, "DEADBEEFDEADBEEF", "No gpg key found with ID DEADBEEFDEADBEEF (homedir: <default>)"},
		{"ambiguous", sec, "Ostree Tester", "gpg key id Ostree Tester ambiguous (homedir: <default>). Try the fingerprint instead"},
		{"public key only", pub, keyID1, "No gpg key found with ID " + keyID1 + " (homedir: <default>)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SignWithKey(t.Context(), tc.kr, tc.key, []byte("x"), epoch)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
	expired := genKey(t, epoch, genOpts{name: "X", algo: packet.PubKeyAlgoEdDSA, curve: packet.Curve25519, lifetime: 60})
	if _, err := SignWithKey(t.Context(), expired, "X", []byte("x"), epoch.Add(time.Hour)); err == nil {
		t.Error("signed with an expired key")
	}
}

func TestHomeSign(t *testing.T) {
	home := copyGPGHome(t)
	data := readTestdata(t, "golden/golden.data")
	h := &Home{Dir: home, GPG: "-", Now: func() time.Time { return epoch }}
	got, err := h.Sign(t.Context(), keyID1, data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, readTestdata(t, "golden/golden-key1.sig")) {
		t.Error("Home.Sign differs from gpg")
	}
	_, err = h.Sign(t.Context(), "DEADBEEF", data)
	var nf *KeyNotFoundError
	if !errors.As(err, &nf) || err.Error() != "No gpg key found with ID DEADBEEF (homedir: "+home+")" {
		t.Errorf("unknown key: %v", err)
	}
	// No secret keyring and no gpg: not found.
	empty := &Home{Dir: t.TempDir(), GPG: "-"}
	if _, err := empty.Sign(t.Context(), keyID1, data); !errors.As(err, &nf) {
		t.Errorf("empty home: %v", err)
	}
	// The public keyring of a GnuPG 1 home is read in process.
	pub, err := h.PublicKeys(t.Context())
	if err != nil || len(pub.Keys) != 3 {
		t.Errorf("PublicKeys: %v, %v", pub, err)
	}
	if err := os.Remove(filepath.Join(home, "pubring.gpg")); err != nil {
		t.Fatal(err)
	}
	if pub, err := h.PublicKeys(t.Context()); err != nil || len(pub.Keys) != 0 {
		t.Errorf("PublicKeys without keyring: %v, %v", pub, err)
	}
}
