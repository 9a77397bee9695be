package sign

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
)

const (
	ed25519Name = "ed25519"
	// Ed25519MetadataKey holds ed25519 signatures (aay, 64 bytes each).
	Ed25519MetadataKey = "ostree.sign.ed25519"
)

// ed25519Signer is libostree's ed25519 engine (ostree-sign-ed25519.c,
// built on libsodium), on crypto/ed25519: signatures are byte-identical
// (ed25519 is deterministic and both use the public half stored in the
// 64-byte secret key), and verification adds libsodium's rejections of
// non-canonical and small-order points.
type ed25519Signer struct {
	systemDirs []string

	mu     sync.Mutex
	secret ed25519.PrivateKey
	// public and revoked are kept most recent first, as libostree
	// prepends to its lists: that order shows in messages.
	public, revoked []ed25519.PublicKey
}

var _ Signer = (*ed25519Signer)(nil)

func (s *ed25519Signer) Name() string        { return ed25519Name }
func (s *ed25519Signer) MetadataKey() string { return Ed25519MetadataKey }

func (s *ed25519Signer) clearLocked() {
	clear(s.secret)
	s.secret, s.public, s.revoked = nil, nil, nil
}

func (s *ed25519Signer) SetSecretKey(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clearLocked()
	b := decodeBase64GLib(key)
	if len(b) != ed25519.PrivateKeySize {
		return errors.New("Incorrect ed25519 secret key")
	}
	s.secret = ed25519.PrivateKey(b)
	return nil
}

func (s *ed25519Signer) SetPublicKey(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clearLocked()
	return s.addLocked(key, true)
}

func (s *ed25519Signer) AddPublicKey(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addLocked(key, true)
}

// parseEd25519Public decodes a base64 public key as libostree does.
func parseEd25519Public(key string, trusted bool) (ed25519.PublicKey, error) {
	b := decodeBase64GLib(key)
	if len(b) != ed25519.PublicKeySize {
		if trusted {
			return nil, errors.New("Incorrect ed25519 public key")
		}
		return nil, errors.New("Incorrect ed25519 revoked key")
	}
	return ed25519.PublicKey(b), nil
}

func (s *ed25519Signer) addLocked(key string, trusted bool) error {
	pk, err := parseEd25519Public(key, trusted)
	if err != nil {
		return err
	}
	list := &s.public
	if !trusted {
		list = &s.revoked
	}
	if !containsKey(*list, pk) {
		*list = append([]ed25519.PublicKey{pk}, *list...)
	}
	return nil
}

func containsKey(list []ed25519.PublicKey, k ed25519.PublicKey) bool {
	for _, x := range list {
		if bytes.Equal(x, k) {
			return true
		}
	}
	return false
}

func (s *ed25519Signer) Sign(ctx context.Context, data []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.secret == nil {
		return nil, errors.New("Not able to sign: secret key is not set")
	}
	return ed25519.Sign(s.secret, data), nil
}

func (s *ed25519Signer) Verify(ctx context.Context, data []byte, sigs [][]byte) (string, error) {
	if data == nil {
		return "", errors.New("ed25519: unable to verify NULL data")
	}
	if sigs == nil {
		return "", errors.New("ed25519: commit have no signatures of my type")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.public == nil {
		// libostree falls back to the system-wide keys.
		if err := s.loadDirLocked(ctx, ""); err != nil {
			return "", err
		}
	}
	var tried []string
	for _, sig := range sigs {
		if len(sig) != ed25519.SignatureSize {
			return "", fmt.Errorf("Invalid signature length of %d bytes, expected %d", len(sig), ed25519.SignatureSize)
		}
		for _, pk := range s.public {
			if containsKey(s.revoked, pk) {
				continue
			}
			if verifyEd25519(pk, data, sig) {
				return fmt.Sprintf("ed25519: Signature verified successfully with key '%s'", hex.EncodeToString(pk)), nil
			}
			tried = append(tried, "key '"+hex.EncodeToString(pk)+"'")
		}
	}
	switch {
	case len(tried) > 3:
		// libostree caps the message: the test suite tries 100 keys.
		return "", fmt.Errorf("ed25519: Signature couldn't be verified; tried %d keys", len(tried))
	case len(tried) > 0:
		return "", fmt.Errorf("ed25519: Signature couldn't be verified with: %s", strings.Join(tried, "; "))
	}
	return "", errors.New("ed25519: no signatures found")
}

// verifyEd25519 is libsodium's crypto_sign_verify_detached: Go's
// verification (canonical S, cofactorless equation) plus the rejection
// of small-order R and of non-canonical or small-order public keys,
// which Go accepts.
func verifyEd25519(pk ed25519.PublicKey, data, sig []byte) bool {
	if hasSmallOrder(sig[:32]) || !isCanonicalPoint(pk) || hasSmallOrder(pk) {
		return false
	}
	return ed25519.Verify(pk, data, sig)
}

// smallOrderPoints are the encodings libsodium's ge25519_has_small_order
// refuses (the sign bit is ignored): points of order 1, 2, 4 and 8, and
// the non-canonical encodings of 0 and 1.
var smallOrderPoints = [7][32]byte{
	{},
	{0x01},
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
	fieldEncoding(0xec), // p-1
	fieldEncoding(0xed), // p
	fieldEncoding(0xee), // p+1
}

// fieldEncoding is the little-endian encoding of 2^255-19 + (low-0xed).
func fieldEncoding(low byte) [32]byte {
	var b [32]byte
	b[0] = low
	for i := 1; i < 31; i++ {
		b[i] = 0xff
	}
	b[31] = 0x7f
	return b
}

func hasSmallOrder(p []byte) bool {
	for _, bad := range smallOrderPoints {
		if bytes.Equal(p[:31], bad[:31]) && p[31]&0x7f == bad[31] {
			return true
		}
	}
	return false
}

// isCanonicalPoint reports whether the y coordinate encoded in p is below
// the field prime, as libsodium's ge25519_is_canonical.
func isCanonicalPoint(p []byte) bool {
	if p[31]&0x7f != 0x7f || p[0] < 0xed {
		return true
	}
	for _, b := range p[1:31] {
		if b != 0xff {
			return true
		}
	}
	return false
}
