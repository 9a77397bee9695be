package sign

import (
	"bytes"
	"crypto"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/google/go-cmp/cmp"
)

// expiringSig is a signature by the primary key of kr that expires after
// lifetime seconds, made with go-crypto.
func expiringSig(t *testing.T, kr *Keyring, data []byte, at time.Time, lifetime uint32) []byte {
	t.Helper()
	p := kr.Keys[0].Primary
	id := p.Pub.KeyId
	sig := &packet.Signature{
		Version: 4, SigType: packet.SigTypeBinary, PubKeyAlgo: p.Pub.PubKeyAlgo, Hash: crypto.SHA256,
		CreationTime: at, IssuerKeyId: &id, SigLifetimeSecs: &lifetime,
	}
	cfg := &packet.Config{NonDeterministicSignaturesViaNotation: new(bool)}
	h, err := sig.PrepareSign(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(data)
	if err := sig.Sign(h, p.Priv, cfg); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := sig.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestVerify(t *testing.T) {
	localUTC(t)
	data := readTestdata(t, "golden/golden.data")
	sig1 := readTestdata(t, "golden/golden-key1.sig")
	sig2 := readTestdata(t, "golden/golden-key2.sig")
	pub := testKeys(t, "gpghome/pubring.gpg")
	only2 := testKeys(t, "gpghome/key2.asc")
	now := epoch.Add(24 * time.Hour)

	expiring := genKey(t, epoch, genOpts{name: "Test Key 1", algo: packet.PubKeyAlgoEdDSA, curve: packet.Curve25519, lifetime: 3600})
	expSig, err := SignWithKey(t.Context(), expiring, "Test Key 1", data, epoch.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	subkeyed := genKey(t, epoch, genOpts{name: "Test Key 2", algo: packet.PubKeyAlgoEdDSA, curve: packet.Curve25519, signSub: true})
	subSig, err := SignWithKey(t.Context(), subkeyed, "Test Key 2", data, epoch.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	subID := subkeyed.Keys[0].Subkeys[1].KeyID()
	primID := subkeyed.Keys[0].Primary.KeyID()
	revoked := genKey(t, epoch, genOpts{name: "Test Key 3", algo: packet.PubKeyAlgoEdDSA, curve: packet.Curve25519})
	revSig, err := SignWithKey(t.Context(), revoked, "Test Key 3", data, epoch.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	shortSig := expiringSig(t, revoked, data, epoch.Add(time.Minute), 60)
	eddsaID := revoked.Keys[0].Primary.KeyID()

	tests := []struct {
		name      string
		kr        *Keyring
		data      []byte
		sigs      []byte
		valid     []bool
		describe  string // of the last signature
		errCode   ErrorCode
		errSubstr string
	}{
		{
			name: "good", kr: pub, data: data, sigs: sig1, valid: []bool{true},
			describe: "Signature made Tue Nov 14 22:13:20 2023 using RSA key ID 7FCA23D8472CDAFA\n" +
				"Good signature from \"Ostree Tester <test@test.com>\"\n",
		},
		{
			name: "two good", kr: pub, data: data, sigs: append(append([]byte{}, sig1...), sig2...), valid: []bool{true, true},
			describe: "Signature made Tue Nov 14 22:13:20 2023 using RSA key ID D8228CFECA950D41\n" +
				"Good signature from \"Ostree Tester II <test2@test.com>\"\n",
		},
		{
			name: "unknown key", kr: only2, data: data, sigs: sig1, valid: []bool{false},
			describe: "Signature made Tue Nov 14 22:13:20 2023 using RSA key ID 7FCA23D8472CDAFA\n" +
				"Can't check signature: public key not found\n",
			errCode: ErrMissingKey, errSubstr: "public key not found",
		},
		{
			name: "one of two keys known", kr: only2, data: data, sigs: append(append([]byte{}, sig1...), sig2...), valid: []bool{false, true},
			describe: "Signature made Tue Nov 14 22:13:20 2023 using RSA key ID D8228CFECA950D41\n" +
				"Good signature from \"Ostree Tester II <test2@test.com>\"\n",
		},
		{
			name: "no keys at all", kr: &Keyring{}, data: data, sigs: sig2, valid: []bool{false},
			describe: "Signature made Tue Nov 14 22:13:20 2023 using RSA key ID D8228CFECA950D41\n" +
				"Can't check signature: public key not found\n",
			errCode: ErrMissingKey, errSubstr: "D8228CFECA950D41",
		},
		{
			name: "other data", kr: pub, data: []byte("tampered"), sigs: sig1, valid: []bool{false},
			describe: "Signature made Thu Jan  1 00:00:00 1970 using [unknown name] key ID 7FCA23D8472CDAFA\n" +
				"BAD signature from \"Ostree Tester <test@test.com>\"\n" +
				"Primary key ID 7FCA23D8472CDAFA\n",
			errCode: ErrInvalidSignature, errSubstr: "BAD signature",
		},
		{
			name: "expired key", kr: publicOnly(t, expiring), data: data, sigs: expSig, valid: []bool{false},
			describe: "Signature made Tue Nov 14 22:14:20 2023 using EdDSA key ID " + expiring.Keys[0].Primary.KeyID() + "\n" +
				"BAD signature from \"Test Key 1 <>\"\n" +
				"Key expired Tue Nov 14 23:13:20 2023\n",
			errCode: ErrExpiredKey, errSubstr: "Key expired",
		},
		{
			name: "signing subkey", kr: publicOnly(t, subkeyed), data: data, sigs: subSig, valid: []bool{true},
			describe: "Signature made Tue Nov 14 22:14:20 2023 using EdDSA key ID " + subID + "\n" +
				"Good signature from \"Test Key 2 <>\"\n" +
				"Primary key ID " + primID + "\n",
		},
		{
			name: "revoked key", kr: publicOnly(t, revokedWith(t, revoked)), data: data, sigs: revSig, valid: []bool{false},
			describe: "Signature made Tue Nov 14 22:14:20 2023 using EdDSA key ID " + eddsaID + "\n" +
				"Key revoked\n",
			errCode: ErrRevokedKey, errSubstr: "Key revoked",
		},
		{
			name: "expired signature", kr: publicOnly(t, revoked), data: data, sigs: shortSig, valid: []bool{false},
			describe: "Signature made Tue Nov 14 22:14:20 2023 using EdDSA key ID " + eddsaID + "\n" +
				"Expired signature from \"Test Key 3 <>\"\n" +
				"Signature expired Tue Nov 14 22:15:20 2023\n",
			errCode: ErrExpiredSignature, errSubstr: "Expired signature",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Verify(t.Context(), tc.kr, tc.data, tc.sigs, now)
			if err != nil {
				t.Fatal(err)
			}
			var valid []bool
			for _, s := range res.Signatures {
				valid = append(valid, s.Valid)
			}
			if diff := cmp.Diff(tc.valid, valid); diff != "" {
				t.Errorf("validity (-want +got):\n%s\n%+v", diff, res.Signatures)
			}
			// A one-digit day's pad depends on the locale (datetime.FormatC).
			t.Setenv("LC_ALL", "C.UTF-8")
			want := strings.ReplaceAll(tc.describe, "Jan  1", "Jan \u20071")
			if diff := cmp.Diff(want, res.Describe(len(res.Signatures)-1, "")); diff != "" {
				t.Errorf("describe (-want +got):\n%s", diff)
			}
			err = res.RequireValid()
			if tc.errSubstr == "" {
				if err != nil {
					t.Errorf("RequireValid: %v", err)
				}
				return
			}
			if !IsVerifyError(err, tc.errCode) || !strings.Contains(err.Error(), tc.errSubstr) {
				t.Errorf("RequireValid = %v, want code %d containing %q", err, tc.errCode, tc.errSubstr)
			}
			if strings.HasSuffix(err.Error(), "\n") {
				t.Error("error ends with a newline")
			}
		})
	}
}

// revokedWith is kr's key with a revocation signature, as importing a
// revocation certificate leaves it.
func revokedWith(t *testing.T, kr *Keyring) *Keyring {
	t.Helper()
	k := kr.Keys[0]
	priv := k.Primary.Priv
	sig := &packet.Signature{
		Version: 4, SigType: packet.SigTypeKeyRevocation, PubKeyAlgo: priv.PubKeyAlgo, Hash: crypto.SHA256,
		CreationTime: epoch.Add(time.Hour), IssuerKeyId: &priv.KeyId,
	}
	if err := sig.RevokeKey(k.Primary.Pub, priv, &packet.Config{NonDeterministicSignaturesViaNotation: new(bool)}); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := sig.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	exported := kr.Export()
	pkts, err := splitPackets(exported)
	if err != nil {
		t.Fatal(err)
	}
	out := append(append([]byte{}, pkts[0].data...), b.Bytes()...)
	for _, p := range pkts[1:] {
		out = append(out, p.data...)
	}
	rk, err := ParseKeys(out)
	if err != nil {
		t.Fatal(err)
	}
	if !rk.Keys[0].Revoked {
		t.Fatal("revocation not recognized")
	}
	return rk
}

func TestVerifyUnreadable(t *testing.T) {
	sig1 := readTestdata(t, "golden/golden-key1.sig")
	uid := appendPacket(nil, tagUserID, []byte("x"))
	pub := testKeys(t, "gpghome/pubring.gpg")
	for _, tc := range []struct {
		name string
		sigs []byte
	}{
		{"empty", nil},
		{"garbage", []byte("borkbork")},
		{"garbage after a good signature", append(append([]byte{}, sig1...), "borkbork"...)},
		{"truncated", sig1[:40]},
		{"not a signature packet", uid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(t.Context(), pub, []byte("x"), tc.sigs, epoch)
			if err == nil || err.Error() != "GPG: Unable to complete signature verification: GPGME: No data" {
				t.Errorf("error = %v", err)
			}
		})
	}
}

func TestShowText(t *testing.T) {
	localUTC(t)
	data := readTestdata(t, "golden/golden.data")
	sigs := append(append([]byte{}, readTestdata(t, "golden/golden-key1.sig")...), readTestdata(t, "golden/golden-key2.sig")...)
	res, err := Verify(t.Context(), testKeys(t, "gpghome/key1.asc"), data, sigs, epoch)
	if err != nil {
		t.Fatal(err)
	}
	want := "Found 2 signatures:\n\n" +
		"  Signature made Tue Nov 14 22:13:20 2023 using RSA key ID 7FCA23D8472CDAFA\n" +
		"  Good signature from \"Ostree Tester <test@test.com>\"\n\n" +
		"  Signature made Tue Nov 14 22:13:20 2023 using RSA key ID D8228CFECA950D41\n" +
		"  Can't check signature: public key not found\n"
	if diff := cmp.Diff(want, res.ShowText()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	res.Signatures = res.Signatures[:1]
	if got := res.ShowText(); !strings.HasPrefix(got, "Found 1 signature:\n") {
		t.Errorf("singular: %q", got)
	}
	if i, ok := res.Lookup(keyID1); !ok || i != 0 {
		t.Errorf("Lookup(key1) = %d, %v", i, ok)
	}
	if _, ok := res.Lookup(keyID2); ok {
		t.Error("Lookup found a key the keyring lacks")
	}
}
