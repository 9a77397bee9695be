package prepareroot

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/gvariant"
)

// testCommit describes a commit object to write into a test repository.
type testCommit struct {
	meta     map[string]gvariant.Variant // the commit's own metadata
	parent   string                      // hex, or ""
	subject  string
	sigs     [][]byte                    // ostree.sign.ed25519; nil: no such key
	noMeta   bool                        // no .commitmeta at all
	extraDet map[string]gvariant.Variant // other detached metadata
}

func dict(m map[string]gvariant.Variant) []any {
	d := []any{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		d = append(d, gvariant.DictEntry{Key: k, Value: m[k]})
	}
	return d
}

// commitBytes serializes c's commit variant.
func (c testCommit) commitBytes(t testing.TB) []byte {
	t.Helper()
	var parent []byte
	if c.parent != "" {
		var err error
		if parent, err = hex.DecodeString(c.parent); err != nil {
			t.Fatal(err)
		}
	}
	root := sha256.Sum256([]byte("root"))
	v := []any{dict(c.meta), parent, []any{}, c.subject, "", uint64(1700000000), root[:], root[:]}
	b, err := gvariant.Marshal(gvariant.MustType("(a{sv}aya(say)sstayay)"), v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// write stores c, or raw in place of its commit bytes, in the objects
// directory under the checksum of those bytes, and returns the checksum.
func (c testCommit) write(t *testing.T, objects string, raw []byte) string {
	t.Helper()
	if raw == nil {
		raw = c.commitBytes(t)
	}
	sum := sha256.Sum256(raw)
	csum := hex.EncodeToString(sum[:])
	base := filepath.Join(objects, csum[:2], csum[2:])
	mustWrite(t, base+".commit", string(raw))
	if c.noMeta {
		return csum
	}
	det := map[string]gvariant.Variant{}
	for k, v := range c.extraDet {
		det[k] = v
	}
	if c.sigs != nil {
		var sigs []any
		for _, s := range c.sigs {
			sigs = append(sigs, s)
		}
		det[keySignEd25519] = gvariant.NewVariant("aay", sigs)
	}
	b, err := gvariant.Marshal(gvariant.MustType("a{sv}"), dict(det))
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, base+".commitmeta", string(b))
	return csum
}

func newKey(t testing.TB, seed byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return priv.Public().(ed25519.PublicKey), priv
}

func TestSignedImageDigest(t *testing.T) {
	pub1, priv1 := newKey(t, 1)
	pub2, priv2 := newKey(t, 2)
	digest := sha256.Sum256([]byte("the image"))
	withDigest := map[string]gvariant.Variant{keyComposefsDigest: gvariant.NewVariant("ay", digest[:]), "version": gvariant.NewVariant("s", "1")}
	// signed returns a commit signed by priv over its own bytes.
	signed := func(c testCommit, privs ...ed25519.PrivateKey) testCommit {
		raw := c.commitBytes(t)
		for _, p := range privs {
			c.sigs = append(c.sigs, ed25519.Sign(p, raw))
		}
		return c
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, objects string) string // returns the deployment's commit
		keys    []ed25519.PublicKey
		wantErr string // substring; "" means success with digest
	}{
		{name: "valid", keys: []ed25519.PublicKey{pub2, pub1}, setup: func(t *testing.T, o string) string {
			return signed(testCommit{meta: withDigest, subject: "ok"}, priv1).write(t, o, nil)
		}},
		{name: "second_signature_valid", keys: []ed25519.PublicKey{pub1}, setup: func(t *testing.T, o string) string {
			return signed(testCommit{meta: withDigest}, priv2, priv1).write(t, o, nil)
		}},
		{name: "wrong_key", keys: []ed25519.PublicKey{pub1}, wantErr: "No valid (of 1) signatures found", setup: func(t *testing.T, o string) string {
			return signed(testCommit{meta: withDigest}, priv2).write(t, o, nil)
		}},
		{name: "tampered_commit", keys: []ed25519.PublicKey{pub1}, wantErr: "No valid (of 1) signatures found", setup: func(t *testing.T, o string) string {
			c := signed(testCommit{meta: withDigest, subject: "signed"}, priv1)
			c.subject = "changed after signing"
			return c.write(t, o, nil)
		}},
		{name: "empty_signature_list", keys: []ed25519.PublicKey{pub1}, wantErr: "No valid (of 0) signatures found", setup: func(t *testing.T, o string) string {
			return testCommit{meta: withDigest, sigs: [][]byte{}}.write(t, o, nil)
		}},
		{name: "short_signature", keys: []ed25519.PublicKey{pub1}, wantErr: "invalid signature length of 63 bytes, expected 64", setup: func(t *testing.T, o string) string {
			c := signed(testCommit{meta: withDigest}, priv1)
			c.sigs[0] = c.sigs[0][:63]
			return c.write(t, o, nil)
		}},
		{name: "no_signatures", keys: []ed25519.PublicKey{pub1}, wantErr: "Signature validation requested, but no signatures in commit", setup: func(t *testing.T, o string) string {
			return testCommit{meta: withDigest, extraDet: map[string]gvariant.Variant{"other": gvariant.NewVariant("s", "x")}}.write(t, o, nil)
		}},
		{name: "signatures_wrong_type", keys: []ed25519.PublicKey{pub1}, wantErr: "Signature validation requested, but no signatures in commit", setup: func(t *testing.T, o string) string {
			return testCommit{meta: withDigest, extraDet: map[string]gvariant.Variant{keySignEd25519: gvariant.NewVariant("ay", []byte{1})}}.write(t, o, nil)
		}},
		{name: "no_commitmeta", keys: []ed25519.PublicKey{pub1}, wantErr: "No commitmeta for commit", setup: func(t *testing.T, o string) string {
			return testCommit{meta: withDigest, noMeta: true}.write(t, o, nil)
		}},
		{name: "no_digest", keys: []ed25519.PublicKey{pub1}, wantErr: "Signature validation requested, but no valid digest in commit", setup: func(t *testing.T, o string) string {
			return signed(testCommit{meta: map[string]gvariant.Variant{"version": gvariant.NewVariant("s", "1")}}, priv1).write(t, o, nil)
		}},
		{name: "short_digest", keys: []ed25519.PublicKey{pub1}, wantErr: "no valid digest in commit", setup: func(t *testing.T, o string) string {
			return signed(testCommit{meta: map[string]gvariant.Variant{keyComposefsDigest: gvariant.NewVariant("ay", digest[:31])}}, priv1).write(t, o, nil)
		}},
		{name: "digest_wrong_type", keys: []ed25519.PublicKey{pub1}, wantErr: "no valid digest in commit", setup: func(t *testing.T, o string) string {
			return signed(testCommit{meta: map[string]gvariant.Variant{keyComposefsDigest: gvariant.NewVariant("s", hex.EncodeToString(digest[:]))}}, priv1).write(t, o, nil)
		}},
		{name: "truncated_commit", keys: []ed25519.PublicKey{pub1}, wantErr: ".commit: ", setup: func(t *testing.T, o string) string {
			c := signed(testCommit{meta: withDigest}, priv1)
			raw := c.commitBytes(t)
			return c.write(t, o, raw[:len(raw)-40])
		}},
		{name: "garbage_commitmeta", keys: []ed25519.PublicKey{pub1}, wantErr: ".commitmeta: ", setup: func(t *testing.T, o string) string {
			csum := testCommit{meta: withDigest, noMeta: true}.write(t, o, nil)
			mustWrite(t, filepath.Join(o, csum[:2], csum[2:]+".commitmeta"), "\x01\x02\x03\x04\x05")
			return csum
		}},
		{name: "missing_commit", keys: []ed25519.PublicKey{pub1}, wantErr: "Error loading signatures from repo: open ", setup: func(t *testing.T, o string) string {
			return strings.Repeat("ab", 32)
		}},
		// bootc imports leave their own commit unsigned; the parent is the signed base.
		{name: "bootc_base", keys: []ed25519.PublicKey{pub1}, setup: func(t *testing.T, o string) string {
			base := signed(testCommit{meta: withDigest, subject: "base"}, priv1).write(t, o, nil)
			return testCommit{noMeta: true, parent: base, meta: map[string]gvariant.Variant{
				keyBootcImageConfig: gvariant.NewVariant("s", "{}")}}.write(t, o, nil)
		}},
		{name: "bootc_base_missing", keys: []ed25519.PublicKey{pub1}, wantErr: "No commitmeta for commit", setup: func(t *testing.T, o string) string {
			return testCommit{noMeta: true, parent: strings.Repeat("cd", 32), meta: map[string]gvariant.Variant{
				keyBootcImageConfig: gvariant.NewVariant("s", "{}")}}.write(t, o, nil)
		}},
		{name: "parent_without_bootc", keys: []ed25519.PublicKey{pub1}, wantErr: "No commitmeta for commit", setup: func(t *testing.T, o string) string {
			base := signed(testCommit{meta: withDigest}, priv1).write(t, o, nil)
			return testCommit{noMeta: true, parent: base}.write(t, o, nil)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objects := t.TempDir()
			csum := tc.setup(t, objects)
			got, err := signedImageDigest(objects, csum, tc.keys)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != digest {
				t.Fatalf("got %x, %v; want %x", got, err, digest)
			}
		})
	}
}

func TestLoadKeys(t *testing.T) {
	pub1, _ := newKey(t, 1)
	pub2, _ := newKey(t, 2)
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		name, content string
		want          []ed25519.PublicKey
		wantErr       string
	}{
		{name: "one", content: b64(pub1) + "\n", want: []ed25519.PublicKey{pub1}},
		{name: "two_blank_lines_no_newline", content: "\n" + b64(pub1) + "\n\n  " + b64(pub2) + " \r\n", want: []ed25519.PublicKey{pub1, pub2}},
		{name: "empty", content: "", wantErr: "specified, but no public keys found"},
		{name: "blank", content: "\n \n", wantErr: "specified, but no public keys found"},
		{name: "not_base64", content: b64(pub1) + "\n!!!\n", wantErr: "line 2: not base64"},
		{name: "short_key", content: b64(pub1[:31]) + "\n", wantErr: "line 1: a key of 31 bytes, want 32 (Ed25519)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "keys")
			if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := loadKeys(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), p) {
					t.Fatalf("error %v, want one naming %s and containing %q", err, p, tc.wantErr)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("got %d keys, %v; want %d", len(got), err, len(tc.want))
			}
			for i := range got {
				if !got[i].Equal(tc.want[i]) {
					t.Errorf("key %d differs", i)
				}
			}
		})
	}
	if _, err := loadKeys(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "reading public key file") {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzSignedImageDigest feeds arbitrary commit and commitmeta bytes to the
// signature check: it must not panic, and with these keys never succeed.
func FuzzSignedImageDigest(f *testing.F) {
	_, priv := newKey(f, 1)
	pub, _ := newKey(f, 3)
	digest := sha256.Sum256([]byte("image"))
	c := testCommit{meta: map[string]gvariant.Variant{keyComposefsDigest: gvariant.NewVariant("ay", digest[:])}}
	raw := c.commitBytes(f)
	meta, err := gvariant.Marshal(gvariant.MustType("a{sv}"), dict(map[string]gvariant.Variant{
		keySignEd25519: gvariant.NewVariant("aay", []any{ed25519.Sign(priv, raw)})}))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw, meta)
	f.Add(raw, []byte{})
	f.Add([]byte{}, meta)
	f.Fuzz(func(t *testing.T, commit, commitmeta []byte) {
		objects := t.TempDir()
		const csum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		base := filepath.Join(objects, csum[:2], csum[2:])
		mustWrite(t, base+".commit", string(commit))
		mustWrite(t, base+".commitmeta", string(commitmeta))
		if _, err := signedImageDigest(objects, csum, []ed25519.PublicKey{pub}); err == nil {
			t.Fatal("verified without a signature by the key")
		}
	})
}
