package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/dsa" //nolint:staticcheck // go-crypto represents OpenPGP DSA keys with crypto/dsa
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/ecdsa"
	"github.com/ProtonMail/go-crypto/openpgp/ed25519"
	"github.com/ProtonMail/go-crypto/openpgp/eddsa"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// KeyNotFoundError reports a signing key that the GnuPG home does not
// have, in libostree's words.
type KeyNotFoundError struct {
	KeyID, Homedir string
}

func (e *KeyNotFoundError) Error() string {
	return fmt.Sprintf("No gpg key found with ID %s (homedir: %s)", e.KeyID, homedirText(e.Homedir))
}

// AmbiguousKeyError reports a key ID that names several secret keys.
type AmbiguousKeyError struct {
	KeyID, Homedir string
}

func (e *AmbiguousKeyError) Error() string {
	return fmt.Sprintf("gpg key id %s ambiguous (homedir: %s). Try the fingerprint instead", e.KeyID, homedirText(e.Homedir))
}

func homedirText(h string) string {
	if h == "" {
		return "<default>"
	}
	return h
}

// hashFor is the digest gpg 2.2 picks for a signature by pub (observed
// with gpg 2.2.40 and its defaults): SHA-512 for RSA, a digest as large as
// the group order for DSA and ECDSA, SHA-256 for Ed25519.
func hashFor(pub *packet.PublicKey) crypto.Hash {
	bySize := func(bits int) crypto.Hash {
		switch {
		case bits <= 160:
			return crypto.SHA1
		case bits <= 224:
			return crypto.SHA224
		case bits <= 256:
			return crypto.SHA256
		case bits <= 384:
			return crypto.SHA384
		}
		return crypto.SHA512
	}
	switch pub.PubKeyAlgo {
	case packet.PubKeyAlgoDSA:
		if k, ok := pub.PublicKey.(*dsa.PublicKey); ok {
			return bySize(k.Q.BitLen())
		}
	case packet.PubKeyAlgoECDSA:
		switch c, _ := pub.Curve(); c {
		case packet.CurveNistP256, packet.CurveBrainpoolP256, packet.CurveSecP256k1:
			return crypto.SHA256
		case packet.CurveNistP384, packet.CurveBrainpoolP384:
			return crypto.SHA384
		}
	case packet.PubKeyAlgoEdDSA, packet.PubKeyAlgoEd25519:
		return crypto.SHA256
	case packet.PubKeyAlgoEd448:
		return crypto.SHA512
	}
	return crypto.SHA512
}

// hashID is the OpenPGP identifier of a digest (RFC 4880 9.4).
func hashID(h crypto.Hash) (byte, bool) {
	switch h {
	case crypto.SHA1:
		return 2, true
	case crypto.SHA256:
		return 8, true
	case crypto.SHA384:
		return 9, true
	case crypto.SHA512:
		return 10, true
	case crypto.SHA224:
		return 11, true
	}
	return 0, false
}

// appendMPI appends an OpenPGP multiprecision integer.
func appendMPI(dst, b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	bits := 0
	if len(b) > 0 {
		bits = (len(b)-1)*8 + big.NewInt(int64(b[0])).BitLen()
	}
	return append(binary.BigEndian.AppendUint16(dst, uint16(bits)), b...)
}

// detachSign makes a binary detached signature of class 0x00 over data
// with the secret key sk, laid out as gpg 2.2 lays it out: a version 4
// signature with the issuer fingerprint and creation time as hashed
// subpackets and the issuer key ID unhashed. RSA signatures are
// deterministic, so for the same key and time the bytes equal gpg's.
func detachSign(sk *Subkey, data []byte, now time.Time) ([]byte, error) {
	pub, priv := sk.Pub, sk.Priv
	if priv == nil || priv.Dummy() {
		return nil, fmt.Errorf("key %s has no secret key material", sk.KeyID())
	}
	if priv.Encrypted {
		return nil, fmt.Errorf("secret key %s is protected by a passphrase", sk.KeyID())
	}
	if pub.Version != 4 {
		return nil, fmt.Errorf("key %s: version %d keys are not supported", sk.KeyID(), pub.Version)
	}
	h := hashFor(pub)
	hid, ok := hashID(h)
	if !ok || !h.Available() {
		return nil, fmt.Errorf("key %s: unsupported digest %v", sk.KeyID(), h)
	}

	hashed := []byte{22, 33, 4}
	hashed = append(hashed, pub.Fingerprint...)
	hashed = append(hashed, 5, 2)
	hashed = binary.BigEndian.AppendUint32(hashed, uint32(now.Unix()))
	unhashed := []byte{9, 16}
	unhashed = binary.BigEndian.AppendUint64(unhashed, pub.KeyId)

	body := []byte{4, byte(packet.SigTypeBinary), byte(pub.PubKeyAlgo), hid}
	body = binary.BigEndian.AppendUint16(body, uint16(len(hashed)))
	body = append(body, hashed...)
	hashedLen := len(body)

	hf := h.New()
	hf.Write(data)
	hf.Write(body)
	hf.Write([]byte{4, 0xff})
	hf.Write(binary.BigEndian.AppendUint32(nil, uint32(hashedLen)))
	digest := hf.Sum(nil)

	body = binary.BigEndian.AppendUint16(body, uint16(len(unhashed)))
	body = append(body, unhashed...)
	body = append(body, digest[0], digest[1])

	switch pub.PubKeyAlgo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly:
		signer, ok := priv.PrivateKey.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("key %s: unusable RSA key", sk.KeyID())
		}
		s, err := signer.Sign(rand.Reader, digest, h)
		if err != nil {
			return nil, fmt.Errorf("sign with key %s: %w", sk.KeyID(), err)
		}
		body = appendMPI(body, s)
	case packet.PubKeyAlgoDSA:
		k, ok := priv.PrivateKey.(*dsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key %s: unusable DSA key", sk.KeyID())
		}
		d := digest
		if n := (k.Q.BitLen() + 7) / 8; len(d) > n {
			d = d[:n]
		}
		r, s, err := dsa.Sign(rand.Reader, k, d)
		if err != nil {
			return nil, fmt.Errorf("sign with key %s: %w", sk.KeyID(), err)
		}
		body = appendMPI(appendMPI(body, r.Bytes()), s.Bytes())
	case packet.PubKeyAlgoECDSA:
		k, ok := priv.PrivateKey.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key %s: unusable ECDSA key", sk.KeyID())
		}
		r, s, err := ecdsa.Sign(rand.Reader, k, digest)
		if err != nil {
			return nil, fmt.Errorf("sign with key %s: %w", sk.KeyID(), err)
		}
		body = appendMPI(appendMPI(body, r.Bytes()), s.Bytes())
	case packet.PubKeyAlgoEdDSA:
		k, ok := priv.PrivateKey.(*eddsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key %s: unusable EdDSA key", sk.KeyID())
		}
		r, s, err := eddsa.Sign(k, digest)
		if err != nil {
			return nil, fmt.Errorf("sign with key %s: %w", sk.KeyID(), err)
		}
		body = appendMPI(appendMPI(body, r), s)
	case packet.PubKeyAlgoEd25519:
		k, ok := priv.PrivateKey.(*ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key %s: unusable Ed25519 key", sk.KeyID())
		}
		s, err := ed25519.Sign(k, digest)
		if err != nil {
			return nil, fmt.Errorf("sign with key %s: %w", sk.KeyID(), err)
		}
		body = append(body, s...)
	default:
		return nil, fmt.Errorf("key %s: unsupported public key algorithm %d", sk.KeyID(), pub.PubKeyAlgo)
	}
	out := appendPacket(nil, tagSignature, body)

	// Check the signature before handing it out, as gpg does.
	p, err := packet.Read(bytes.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("sign with key %s: made an unreadable signature: %w", sk.KeyID(), err)
	}
	sig, ok := p.(*packet.Signature)
	if !ok {
		return nil, errors.New("sign: made a non-signature packet")
	}
	vh, err := sig.PrepareVerify()
	if err != nil {
		return nil, err
	}
	vh.Write(data)
	if err := pub.VerifySignature(vh, sig); err != nil {
		return nil, fmt.Errorf("sign with key %s: signature does not verify: %w", sk.KeyID(), err)
	}
	return out, nil
}

// SignWithKey signs data with the keyring key that keyID names (see
// Key.Matches), using its newest usable signing subkey or else its
// primary key, as gpg does. The keyring must hold the secret keys.
func SignWithKey(ctx context.Context, kr *Keyring, keyID string, data []byte, now time.Time) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var found []*Key
	for _, k := range kr.Find(keyID) {
		if k.HasSecret() {
			found = append(found, k)
		}
	}
	switch len(found) {
	case 0:
		return nil, &KeyNotFoundError{KeyID: keyID}
	case 1:
	default:
		return nil, &AmbiguousKeyError{KeyID: keyID}
	}
	sk := found[0].signingKey(now, true)
	if sk == nil {
		return nil, fmt.Errorf("key %s has no usable secret signing key", keyID)
	}
	return detachSign(sk, data, now)
}
