package sign

import (
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
)

func dummyEnv(on bool) func(string) string {
	return func(k string) string {
		if on && k == "OSTREE_DUMMY_SIGN_ENABLED" {
			return "1"
		}
		return ""
	}
}

func TestGet(t *testing.T) {
	for _, name := range Names() {
		s, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		if s.Name() != name || s.MetadataKey() != "ostree.sign."+name {
			t.Errorf("%s: Name %q, MetadataKey %q", name, s.Name(), s.MetadataKey())
		}
	}
	_, err := Get("trustme")
	if err == nil || err.Error() != "Requested signature type is not implemented" || !errors.Is(err, errdefs.ErrNotSupported) {
		t.Errorf("unknown type: %v", err)
	}
}

func TestDummy(t *testing.T) {
	ctx := t.Context()
	data := []byte("data")
	off, _ := New("dummy", Options{Getenv: dummyEnv(false)})
	if err := off.SetSecretKey("k"); errString(err) != "dummy signature type is only for ostree testing" {
		t.Errorf("SetSecretKey without the switch: %v", err)
	}
	if _, err := off.Verify(ctx, data, [][]byte{[]byte("k")}); errString(err) != "dummy signature type is only for ostree testing" {
		t.Errorf("Verify without the switch: %v", err)
	}
	s, _ := New("dummy", Options{Getenv: dummyEnv(true)})
	if err := s.SetSecretKey("dummysign"); err != nil {
		t.Fatal(err)
	}
	sig, err := s.Sign(ctx, data)
	if err != nil || string(sig) != "dummysign" {
		t.Fatalf("Sign = %q, %v", sig, err)
	}
	tests := []struct {
		name, pk string
		sigs     [][]byte
		want     string
	}{
		{"good", "dummysign", [][]byte{[]byte("other"), sig}, ""},
		{"up to NUL", "dummysign", [][]byte{append(sig, 0, 'x')}, ""},
		{"wrong", "other", [][]byte{sig, sig}, "signature: dummy: incorrect signatures found: 2"},
		{"empty", "dummysign", [][]byte{}, "signature: dummy: no signatures"},
		{"none", "dummysign", nil, "signature: dummy: commit have no signatures of my type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// AddPublicKey replaces the one key.
			if err := s.AddPublicKey("previous"); err != nil {
				t.Fatal(err)
			}
			if err := s.AddPublicKey(tc.pk); err != nil {
				t.Fatal(err)
			}
			msg, err := s.Verify(ctx, data, tc.sigs)
			if errString(err) != tc.want {
				t.Fatalf("Verify error %v, want %q", err, tc.want)
			}
			if err == nil && msg != "dummy: Signature verified" {
				t.Fatalf("message %q", msg)
			}
		})
	}
	if err := s.LoadKeysFile("/dev/null"); errString(err) != "not implemented" {
		t.Errorf("LoadKeysFile: %v", err)
	}
}

func TestSignDataAppends(t *testing.T) {
	ctx := t.Context()
	k := newTestKey(3)
	s := newEd25519(t, Options{})
	if err := s.SetSecretKey(k.secret); err != nil {
		t.Fatal(err)
	}
	data := []byte("commit")
	md := object.Metadata{{Key: "ostree.gpgsigs", Value: gvariant.NewVariant("aay", []any{[]byte("gpg")})}}
	md, err := SignData(ctx, s, data, md)
	if err != nil {
		t.Fatal(err)
	}
	md, err = SignData(ctx, s, data, md)
	if err != nil {
		t.Fatal(err)
	}
	sigs := MetadataSignatures(md, s)
	if len(sigs) != 2 || !ed25519.Verify(k.priv.Public().(ed25519.PublicKey), data, sigs[1]) {
		t.Fatalf("signatures %x", sigs)
	}
	if gpg, ok := Signatures(md); !ok || len(gpg) != 1 {
		t.Errorf("GPG signatures lost: %v", md)
	}
	if err := s.AddPublicKey(k.public); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyData(ctx, s, data, md); err != nil {
		t.Errorf("VerifyData: %v", err)
	}
	if _, err := VerifyData(ctx, s, data, nil); errString(err) != "ed25519: commit have no signatures of my type" {
		t.Errorf("VerifyData without metadata: %v", err)
	}
	// A wrongly typed entry counts as none, as g_variant_lookup_value.
	bad := object.Metadata{{Key: Ed25519MetadataKey, Value: gvariant.NewVariant("s", "x")}}
	if MetadataSignatures(bad, s) != nil {
		t.Errorf("wrongly typed entry read as signatures")
	}
}

func TestSignSummaryKeys(t *testing.T) {
	ctx := t.Context()
	k1, k2 := newTestKey(1), newTestKey(2)
	summary := []byte("summary bytes")
	s := newEd25519(t, Options{})
	if _, err := SignSummaryKeys(ctx, s, summary, nil, nil); errString(err) != "No keys passed for signing summary" {
		t.Errorf("no keys: %v", err)
	}
	if _, err := SignSummaryKeys(ctx, s, summary, nil, []string{"junk"}); errString(err) != "Incorrect ed25519 secret key" {
		t.Errorf("bad key: %v", err)
	}
	old, err := object.MarshalMetadata(object.Metadata{{Key: "ostree.gpgsigs", Value: gvariant.NewVariant("aay", []any{[]byte("gpg")})}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := SignSummaryKeys(ctx, s, summary, old, []string{k1.secret, k2.secret})
	if err != nil {
		t.Fatal(err)
	}
	md, err := UnmarshalSummarySig(b)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := object.MarshalMetadata(md); string(again) != string(b) {
		t.Errorf("summary.sig is not in normal form")
	}
	sigs := MetadataSignatures(md, s)
	if len(sigs) != 2 || !ed25519.Verify(k2.priv.Public().(ed25519.PublicKey), summary, sigs[1]) {
		t.Fatalf("signatures %x", sigs)
	}
	if gpg, ok := Signatures(md); !ok || len(gpg) != 1 {
		t.Errorf("GPG signatures lost")
	}
}

func TestVerifyAny(t *testing.T) {
	ctx := t.Context()
	k := newTestKey(1)
	data := []byte("data")
	edSig := ed25519.Sign(k.priv, data)
	trusting := newEd25519(t, Options{})
	if err := trusting.AddPublicKey(k.public); err != nil {
		t.Fatal(err)
	}
	distrusting := newEd25519(t, Options{})
	if err := distrusting.AddPublicKey(newTestKey(2).public); err != nil {
		t.Fatal(err)
	}
	dummy, _ := New("dummy", Options{Getenv: dummyEnv(true)})
	if err := dummy.AddPublicKey("dummysign"); err != nil {
		t.Fatal(err)
	}
	md := func(ed, dm []byte) object.Metadata {
		var m object.Metadata
		if ed != nil {
			m = AppendSignatureAt(m, Ed25519MetadataKey, ed)
		}
		if dm != nil {
			m = AppendSignatureAt(m, DummyMetadataKey, dm)
		}
		return m
	}
	wrongKey := "ed25519: Signature couldn't be verified with: key '" + newTestKey(2).hex + "'"
	tests := []struct {
		name      string
		verifiers []Signer
		md        object.Metadata
		want      string
	}{
		{"ed25519", []Signer{trusting, dummy}, md(edSig, nil), ""},
		{"dummy after failing ed25519", []Signer{distrusting, dummy}, md(edSig, []byte("dummysign")), ""},
		{"engines without signatures are skipped", []Signer{distrusting, dummy}, md(nil, []byte("dummysign")), ""},
		{"no signatures", []Signer{trusting, dummy}, nil, "No signatures found"},
		{"one failure", []Signer{distrusting, dummy}, md(edSig, nil), wrongKey},
		{"two failures", []Signer{distrusting, dummy}, md(edSig, []byte("x")), "(1 other invalid signatures): " + wrongKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyAny(ctx, tc.verifiers, data, tc.md)
			if errString(err) != tc.want {
				t.Fatalf("VerifyAny: %v, want %q", err, tc.want)
			}
		})
	}
}
