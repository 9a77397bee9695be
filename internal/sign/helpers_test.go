package sign

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Key IDs of the test suite's gpghome (libtest.sh TEST_GPG_KEYID_*).
const (
	keyID1  = "7FCA23D8472CDAFA"
	keyFpr1 = "5E65DE75AB1C501862D476347FCA23D8472CDAFA"
	keyID2  = "D8228CFECA950D41"
	keyFpr2 = "7B3B1020D74479687FDB2273D8228CFECA950D41"
	keyID3  = "0D15FAE7DF444D67"
	keyFpr3 = "7D29CF060B8269CDF63BFBDD0D15FAE7DF444D67"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testKeys(t testing.TB, name string) *Keyring {
	t.Helper()
	kr, err := ParseKeys(readTestdata(t, name))
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return kr
}

// copyGPGHome copies the test gpghome into a private directory (gpg wants
// it writable and mode 0700) and stops any gpg-agent started there.
func copyGPGHome(t testing.TB) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "gpghome")
	if err := os.CopyFS(dst, os.DirFS("testdata/gpghome")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killAgent(dst) })
	return dst
}

// killAgent stops the gpg-agent that gpg (or the reference ostree through
// gpgme) may have started for homedir.
func killAgent(homedir string) {
	if p, err := exec.LookPath("gpgconf"); err == nil {
		_ = exec.Command(p, "--homedir", homedir, "--kill", "gpg-agent").Run()
	}
}

// localUTC makes local times UTC for the duration of the test.
func localUTC(t testing.TB) {
	t.Helper()
	old := time.Local
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = old })
}

var epoch = time.Unix(1700000000, 0)

// genOpts describes a key for genKey.
type genOpts struct {
	name     string
	email    string
	algo     packet.PublicKeyAlgorithm
	curve    packet.Curve
	lifetime uint32
	signSub  bool // add a signing subkey
}

// genKey is a fresh key with secret material, made by go-crypto at
// created with the given algorithm and lifetime (0: no expiry).
func genKey(t testing.TB, created time.Time, o genOpts) *Keyring {
	t.Helper()
	cfg := &packet.Config{
		Algorithm:       o.algo,
		Curve:           o.curve,
		RSABits:         2048,
		KeyLifetimeSecs: o.lifetime,
		Time:            func() time.Time { return created },
	}
	e, err := openpgp.NewEntity(o.name, "", o.email, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if o.signSub {
		if err := e.AddSigningSubkey(cfg); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := e.SerializePrivateWithoutSigning(&b, cfg); err != nil {
		t.Fatal(err)
	}
	kr, err := ParseKeys(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// publicOnly is kr without secret material, as a verifier holds it.
func publicOnly(t testing.TB, kr *Keyring) *Keyring {
	t.Helper()
	pub, err := ParseKeys(kr.Export())
	if err != nil {
		t.Fatal(err)
	}
	return pub
}
