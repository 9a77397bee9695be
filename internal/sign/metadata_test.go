package sign

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
)

func keysOf(md object.Metadata) []string {
	var out []string
	for _, e := range md {
		out = append(out, e.Key)
	}
	return out
}

func TestAppendSignature(t *testing.T) {
	other := gvariant.NewVariant("s", "v")
	md := object.Metadata{{Key: "xa.custom", Value: other}}
	md = AppendSignature(md, []byte("one"))
	md = AppendSignature(md, []byte("two"))
	sigs, ok := Signatures(md)
	if !ok || !cmp.Equal(sigs, [][]byte{[]byte("one"), []byte("two")}) {
		t.Fatalf("Signatures = %q, %v", sigs, ok)
	}
	if v, ok := md.Lookup("xa.custom"); !ok || v.Value != "v" {
		t.Error("other keys were lost")
	}
	if _, err := object.MarshalMetadata(md); err != nil {
		t.Fatal(err)
	}
	if md2 := AppendSignature(nil, []byte("x")); len(md2) != 1 {
		t.Errorf("append to nil: %v", md2)
	}
	if _, ok := Signatures(object.Metadata{{Key: MetadataKey, Value: gvariant.NewVariant("as", []any{"x"})}}); ok {
		t.Error("an as value counted as signatures")
	}
	// Removing the last signature leaves an empty dictionary, which
	// libostree writes as an empty file rather than deleting it.
	empty := replaceSignatures(AppendSignature(nil, []byte("x")), nil)
	if empty == nil || len(empty) != 0 {
		t.Errorf("replaceSignatures to nothing = %#v", empty)
	}
}

func TestSignCommitAndDelete(t *testing.T) {
	home := copyGPGHome(t)
	h := &Home{Dir: home, GPG: "-", Now: func() time.Time { return epoch }}
	commit := []byte("commit object bytes")
	var md object.Metadata
	var err error
	for _, id := range []string{keyID1, keyID2, keyID3} {
		if md, err = SignCommit(t.Context(), h, t.TempDir(), commit, md, id); err != nil {
			t.Fatal(err)
		}
	}
	// The home's pubring.gpg identifies key1 even by its short ID.
	_, err = SignCommit(t.Context(), h, t.TempDir(), commit, md, "472CDAFA")
	var already *AlreadySignedError
	if !errors.As(err, &already) || err.Error() != "Commit is already signed with GPG key 472CDAFA" {
		t.Errorf("second signature by key1: %v", err)
	}
	pub := testKeys(t, "gpghome/pubring.gpg")
	res, err := VerifyMetadata(t.Context(), pub, commit, md, epoch)
	if err != nil || res.CountValid() != 3 {
		t.Fatalf("verify: %v, %+v", err, res)
	}

	tests := []struct {
		name   string
		kr     *Keyring
		ids    []string
		n      int
		remain []string // key IDs of the remaining signatures
	}{
		{"unknown keyring", &Keyring{}, []string{keyID2}, 0, []string{keyID1, keyID2, keyID3}},
		{"one", pub, []string{keyID2}, 1, []string{keyID1, keyID3}},
		{"by subkey and repeated", pub, []string{"DF20F58B408DEA49", keyID1, keyID2}, 2, []string{keyID3}},
		{"all", pub, []string{keyID1, keyID2, keyID3}, 3, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, n, err := DeleteSignatures(t.Context(), tc.kr, commit, md, tc.ids, epoch)
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.n {
				t.Errorf("deleted %d, want %d", n, tc.n)
			}
			var remain []string
			if sigs, ok := Signatures(out); ok {
				r, err := Verify(t.Context(), pub, commit, bytes.Join(sigs, nil), epoch)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range r.Signatures {
					remain = append(remain, s.KeyID())
				}
			}
			if diff := cmp.Diff(tc.remain, remain); diff != "" {
				t.Errorf("remaining (-want +got):\n%s", diff)
			}
			if out == nil {
				t.Error("nil metadata")
			}
		})
	}
	if out, n, err := DeleteSignatures(t.Context(), pub, commit, object.Metadata{}, []string{keyID1}, epoch); err != nil || n != 0 || len(out) != 0 {
		t.Errorf("delete without signatures: %v %d %v", out, n, err)
	}
}

func TestVerifyMetadataWithoutSignatures(t *testing.T) {
	for _, md := range []object.Metadata{nil, {}, {{Key: "other", Value: gvariant.NewVariant("s", "x")}}} {
		_, err := VerifyMetadata(t.Context(), &Keyring{}, []byte("x"), md, epoch)
		if err != ErrNoSignatures || !IsVerifyError(err, ErrNoSignature) {
			t.Errorf("%v: error %v", keysOf(md), err)
		}
	}
	if ErrNoSignatures.Error() != "GPG verification enabled, but no signatures found (use gpg-verify=false in remote config to disable)" {
		t.Error("message changed")
	}
}

func TestSummarySignatures(t *testing.T) {
	home := copyGPGHome(t)
	h := &Home{Dir: home, GPG: "-"}
	summary := []byte("summary bytes")
	sig, err := SignSummary(t.Context(), h, summary, nil, []string{keyID1})
	if err != nil {
		t.Fatal(err)
	}
	sig, err = SignSummary(t.Context(), h, summary, sig, []string{keyID2, keyID3})
	if err != nil {
		t.Fatal(err)
	}
	md, err := UnmarshalSummarySig(sig)
	if err != nil {
		t.Fatal(err)
	}
	if sigs, _ := Signatures(md); len(sigs) != 3 {
		t.Errorf("%d signatures, want 3", len(sigs))
	}
	only2 := testKeys(t, "gpghome/key2.asc")
	tests := []struct {
		name          string
		kr            *Keyring
		summary, sig  []byte
		want          error
		wantSubstring string
	}{
		{"valid", only2, summary, sig, nil, ""},
		{"no summary", only2, nil, sig, ErrNoSummary, ""},
		{"no summary.sig", only2, summary, nil, ErrNoSummarySig, ""},
		{"tampered summary", only2, []byte("other"), sig, nil, "BAD signature"},
		{"untrusted", &Keyring{}, summary, sig, nil, "public key not found"},
		{"corrupt summary.sig", only2, summary, []byte{1, 2, 3}, nil, "summary.sig"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifySummary(t.Context(), tc.kr, tc.summary, tc.sig, time.Now())
			switch {
			case tc.want != nil:
				if err != tc.want {
					t.Errorf("error %v, want %v", err, tc.want)
				}
			case tc.wantSubstring != "":
				if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.wantSubstring)) {
					t.Errorf("error %v, want one containing %q", err, tc.wantSubstring)
				}
			case err != nil:
				t.Errorf("error %v", err)
			}
		})
	}
}
