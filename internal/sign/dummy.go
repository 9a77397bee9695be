package sign

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

const (
	dummyName = "dummy"
	// DummyMetadataKey holds the dummy engine's "signatures".
	DummyMetadataKey = "ostree.sign.dummy"
)

// dummySigner is libostree's test engine (ostree-sign-dummy.c): the
// "signature" is the secret key's text, and it verifies when it equals
// the one public key. Signing and verifying need
// OSTREE_DUMMY_SIGN_ENABLED=1, as in libostree.
type dummySigner struct {
	getenv func(string) string

	mu           sync.Mutex
	sk, pk       string
	hasSK, hasPK bool
}

var _ Signer = (*dummySigner)(nil)

func (s *dummySigner) Name() string        { return dummyName }
func (s *dummySigner) MetadataKey() string { return DummyMetadataKey }

func (s *dummySigner) enabled() error {
	if s.getenv("OSTREE_DUMMY_SIGN_ENABLED") != "1" {
		return errors.New("dummy signature type is only for ostree testing")
	}
	return nil
}

func (s *dummySigner) SetSecretKey(key string) error {
	if err := s.enabled(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sk, s.hasSK = key, true
	return nil
}

// SetPublicKey and AddPublicKey both replace the one public key, as in
// libostree.
func (s *dummySigner) SetPublicKey(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pk, s.hasPK = key, true
	return nil
}

func (s *dummySigner) AddPublicKey(key string) error { return s.SetPublicKey(key) }

// LoadKeysFile and LoadKeysDir are not part of the dummy engine.
func (s *dummySigner) LoadKeysFile(string) error { return errors.New("not implemented") }
func (s *dummySigner) LoadKeysDir(string) error  { return errors.New("not implemented") }

func (s *dummySigner) Sign(ctx context.Context, data []byte) ([]byte, error) {
	if err := s.enabled(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.hasSK {
		return nil, errors.New("Not able to sign: secret key is not set")
	}
	return []byte(s.sk), nil
}

func (s *dummySigner) Verify(ctx context.Context, data []byte, sigs [][]byte) (string, error) {
	if err := s.enabled(); err != nil {
		return "", err
	}
	if data == nil {
		return "", errors.New("signature: dummy: unable to verify NULL data")
	}
	if sigs == nil {
		return "", errors.New("signature: dummy: commit have no signatures of my type")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sig := range sigs {
		// libostree compares C strings: the signature up to a NUL.
		if s.hasPK && cString(sig) == s.pk {
			return "dummy: Signature verified", nil
		}
	}
	if len(sigs) > 0 {
		return "", fmt.Errorf("signature: dummy: incorrect signatures found: %d", len(sigs))
	}
	return "", errors.New("signature: dummy: no signatures")
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
