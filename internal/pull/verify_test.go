package pull

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/sign"
)

// TestSignapiVerifiers reads sign-verify settings as libostree's
// verifiers_from_config and checks commits with the resulting hook.
func TestSignapiVerifiers(t *testing.T) {
	t.Setenv("OSTREE_DUMMY_SIGN_ENABLED", "1")
	ctx := t.Context()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	pub := base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))
	keysFile := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keysFile, []byte(pub+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	commit := []byte("commit bytes")
	signed, err := object.MarshalMetadata(sign.AppendSignatureAt(nil, sign.Ed25519MetadataKey, ed25519.Sign(priv, commit)))
	if err != nil {
		t.Fatal(err)
	}
	dummySigned, err := object.MarshalMetadata(sign.AppendSignatureAt(nil, sign.DummyMetadataKey, []byte("dummysign")))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		settings  map[string]string
		wantTypes string // engine names, "" for no verification
		wantErr   string
		detached  []byte
		verifyErr string
	}{
		{name: "unset"},
		{name: "false", settings: map[string]string{"sign-verify": "false"}},
		{name: "true without keys", settings: map[string]string{"sign-verify": "true"}, wantTypes: "ed25519,dummy",
			detached: dummySigned, verifyErr: "Can't verify commit: signature: dummy: incorrect signatures found: 1"},
		{name: "true with inline key", settings: map[string]string{"sign-verify": "1", "verification-ed25519-key": pub},
			wantTypes: "ed25519,dummy", detached: signed},
		{name: "list with file", settings: map[string]string{"sign-verify": "ed25519", "verification-ed25519-file": keysFile},
			wantTypes: "ed25519", detached: signed},
		{name: "dummy", settings: map[string]string{"sign-verify": "dummy", "verification-dummy-key": "dummysign"},
			wantTypes: "dummy", detached: dummySigned},
		{name: "no detached metadata", settings: map[string]string{"sign-verify": "dummy", "verification-dummy-key": "dummysign"},
			wantTypes: "dummy", verifyErr: "Can't verify commit without detached metadata: invalid argument"},
		{name: "corrupt detached metadata", settings: map[string]string{"sign-verify": "dummy", "verification-dummy-key": "x"},
			wantTypes: "dummy", detached: []byte("invalid\n"), verifyErr: "Can't verify commit: No signatures found"},
		{name: "required keys missing", settings: map[string]string{"sign-verify": "dummy"},
			wantErr: "No keys found for required signapi type dummy"},
		{name: "unknown", settings: map[string]string{"sign-verify": "nosuchsystem"},
			wantErr: "Requested signature type is not implemented"},
		{name: "bad keys file", settings: map[string]string{"sign-verify": "true", "verification-dummy-file": "/non/existing/file"},
			wantErr: "Failed loading 'dummy' keys from '/non/existing/file"},
		{name: "bad inline key", settings: map[string]string{"sign-verify": "true", "verification-ed25519-key": "junk"},
			wantErr: "Failed loading 'ed25519' keys from inline `verification-key`"},
		{name: "empty key file setting is a setting", settings: map[string]string{"sign-verify": "ed25519", "verification-ed25519-file": ""},
			wantErr: "Failed loading 'ed25519' keys from '"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := repo.Init(ctx, filepath.Join(t.TempDir(), "repo"), repo.InitOptions{Mode: repo.ModeArchive})
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := remote.Load(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			var settings []remote.Setting
			for k, v := range tc.settings {
				settings = append(settings, remote.Setting{Key: k, Value: v})
			}
			if err := cfg.Add(ctx, remote.Fail, "origin", "http://example.com", settings); err != nil {
				t.Fatal(err)
			}
			vs, err := signapiVerifiers(cfg, "origin", "sign-verify")
			if errString(err) != tc.wantErr {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			var names []string
			for _, v := range vs {
				names = append(names, v.Name())
			}
			if got := strings.Join(names, ","); got != tc.wantTypes {
				t.Fatalf("verifiers %q, want %q", got, tc.wantTypes)
			}
			if vs == nil {
				return
			}
			err = signapiCommitVerifier(vs)(ctx, "origin", object.Sum(commit), commit, tc.detached)
			if errString(err) != tc.verifyErr {
				t.Fatalf("verify: %v, want %q", err, tc.verifyErr)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
