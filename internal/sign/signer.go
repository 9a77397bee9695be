package sign

import (
	"context"
	"os"

	"github.com/gostree/gostree/internal/errdefs"
)

// Signer is one of libostree's signature engines (OstreeSign): it holds
// a secret key, or trusted and revoked public keys, and signs or verifies
// byte strings — commit objects, summaries, static-delta superblocks.
// The signatures of engine X live under MetadataKey() (an aay) in a
// commit's detached metadata, summary.sig or a signed superblock.
//
// Key setters follow libostree: SetSecretKey and SetPublicKey first drop
// every key already loaded, AddPublicKey and the Load methods add to
// them. A Signer is safe for concurrent use; Verify may load the system
// keys on first use, which is why it takes a context.
//
// Typical verification, as `ostree sign --verify` and pull do it:
//
//	s, err := sign.Get("ed25519")
//	err = s.AddPublicKey(pubBase64)
//	msg, err := s.Verify(ctx, commitBytes, sign.MetadataSignatures(md, s))
type Signer interface {
	// Name is the engine's name: "ed25519" or "dummy".
	Name() string
	// MetadataKey is where signatures are kept: "ostree.sign.<name>".
	MetadataKey() string
	// SetSecretKey replaces all keys by the secret key key (for
	// ed25519, base64 of the 64-byte seed‖public key).
	SetSecretKey(key string) error
	// SetPublicKey replaces all keys by the trusted public key key.
	SetPublicKey(key string) error
	// AddPublicKey trusts one more public key (for ed25519, base64 of 32
	// bytes).
	AddPublicKey(key string) error
	// LoadKeysFile trusts the keys of a file holding one key per line;
	// it fails when the file is not a regular file or holds no valid key.
	LoadKeysFile(path string) error
	// LoadKeysDir trusts the keys of DIR/trusted.<name> and of every
	// file in DIR/trusted.<name>.d, and revokes those of the revoked
	// equivalents; dir "" means the system directories (/etc/ostree, then
	// /usr/share/ostree). It fails when no trusted key was found.
	LoadKeysDir(dir string) error
	// Sign returns the signature of data by the secret key.
	Sign(ctx context.Context, data []byte) ([]byte, error)
	// Verify checks that at least one of sigs is a valid signature of
	// data by a trusted key that is not revoked, and returns libostree's
	// success message ("ed25519: Signature verified successfully with
	// key '…'"). sigs == nil means the metadata holds no entry for this
	// engine, which libostree words differently from an empty list.
	// Errors are libostree's texts and name the keys tried.
	Verify(ctx context.Context, data []byte, sigs [][]byte) (string, error)
}

// Options configure a Signer.
type Options struct {
	// Getenv reads OSTREE_DUMMY_SIGN_ENABLED; nil means os.Getenv.
	Getenv func(string) string
	// SystemDirs replace /etc/ostree and /usr/share/ostree as the
	// directories LoadKeysDir("") and a Verify without keys read.
	SystemDirs []string
}

// DefaultSystemDirs are where libostree looks for trusted.ed25519 and
// revoked.ed25519 when no keys are configured.
var DefaultSystemDirs = []string{"/etc/ostree", "/usr/share/ostree"}

// Names lists the signature engines in libostree's order: the order in
// which `sign-verify=true` tries them.
func Names() []string { return []string{ed25519Name, dummyName} }

// ErrUnknownType is returned for a signature type this build lacks; its
// text is libostree's.
var ErrUnknownType error = notImplementedError("Requested signature type is not implemented")

// Get returns a new engine by name, with default options.
func Get(name string) (Signer, error) { return New(name, Options{}) }

// New returns a new engine by name.
func New(name string, o Options) (Signer, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.SystemDirs == nil {
		o.SystemDirs = DefaultSystemDirs
	}
	switch name {
	case ed25519Name:
		return &ed25519Signer{systemDirs: o.SystemDirs}, nil
	case dummyName:
		return &dummySigner{getenv: o.Getenv}, nil
	}
	return nil, ErrUnknownType
}

// notImplementedError is classified as errdefs.ErrNotSupported while its
// text stays libostree's.
type notImplementedError string

func (e notImplementedError) Error() string { return string(e) }

// Is classifies the error.
func (e notImplementedError) Is(target error) bool { return target == errdefs.ErrNotSupported }
