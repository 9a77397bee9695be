package sign

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Key is one OpenPGP certificate (RFC 4880 11.1: a primary key with its
// user IDs and subkeys) and what gpg derives from its self-signatures.
// The derived fields describe the key at the time it was read; Expired
// and friends take the time to judge it at.
type Key struct {
	Primary *Subkey
	UIDs    []*UserID
	Subkeys []*Subkey
	// Revoked is set by a valid key revocation signature.
	Revoked bool
	// direct holds signatures on the primary key itself (revocations,
	// direct-key signatures), kept to write the key back.
	direct []*keySig
}

// Subkey is a primary key or a subkey.
type Subkey struct {
	Pub  *packet.PublicKey
	Priv *packet.PrivateKey // nil unless read from a secret keyring
	// Expires is the expiry time from the latest valid self-signature;
	// zero when the key does not expire.
	Expires time.Time
	Revoked bool
	// CanSign: the key's flags (or, without flags, its algorithm) allow
	// signing, and for a subkey its binding signature is valid.
	CanSign bool
	// Bound is false for a subkey without a valid binding signature;
	// gpg ignores such subkeys.
	Bound  bool
	sigs   []*keySig
	packet rawPacket
}

// UserID is a user ID packet with its certifications.
type UserID struct {
	ID                   string
	Name, Comment, Email string
	// Revoked: a valid revocation newer than the latest self-signature.
	Revoked bool
	// Invalid: no valid self-signature.
	Invalid bool
	attr    bool // a user attribute (photo ID), not listed
	sigs    []*keySig
	packet  rawPacket
	selfSig *packet.Signature
}

// keySig is a signature attached to a key component.
type keySig struct {
	packet rawPacket
	sig    *packet.Signature // nil when it could not be parsed
	// checked: issued by the primary key and verified; valid says how.
	checked, valid bool
}

// Fingerprint is the key's fingerprint in upper-case hex.
func (s *Subkey) Fingerprint() string { return strings.ToUpper(hex.EncodeToString(s.Pub.Fingerprint)) }

// KeyID is the 64-bit key ID in upper-case hex.
func (s *Subkey) KeyID() string { return fmt.Sprintf("%016X", s.Pub.KeyId) }

// Created is the key's creation time.
func (s *Subkey) Created() time.Time { return s.Pub.CreationTime }

// ExpiredAt reports whether the key has expired at now.
func (s *Subkey) ExpiredAt(now time.Time) bool {
	return !s.Expires.IsZero() && !now.Before(s.Expires)
}

// Fingerprint is the primary key's fingerprint.
func (k *Key) Fingerprint() string { return k.Primary.Fingerprint() }

// HasSecret reports whether some key of k carries secret material.
func (k *Key) HasSecret() bool {
	if k.Primary.Priv != nil {
		return true
	}
	for _, s := range k.Subkeys {
		if s.Priv != nil {
			return true
		}
	}
	return false
}

// allKeys is the primary key followed by the subkeys.
func (k *Key) allKeys() []*Subkey {
	return append([]*Subkey{k.Primary}, k.Subkeys...)
}

// parseKey builds a key from the packets of one certificate: a primary
// (public or secret) key packet and everything up to the next one.
func parseKey(pkts []rawPacket) (*Key, error) {
	if len(pkts) == 0 || (pkts[0].tag != tagPublicKey && pkts[0].tag != tagSecretKey) {
		return nil, fmt.Errorf("certificate does not start with a primary key: %w", errMalformed)
	}
	primary, err := parseKeyPacket(pkts[0])
	if err != nil {
		return nil, err
	}
	k := &Key{Primary: primary}
	var cur *[]*keySig = &k.direct
	for _, p := range pkts[1:] {
		switch p.tag {
		case tagSignature:
			s := &keySig{packet: p}
			if sp, err := packet.Read(bytes.NewReader(p.data)); err == nil {
				s.sig, _ = sp.(*packet.Signature)
			}
			*cur = append(*cur, s)
		case tagUserID, tagUserAttr:
			u := &UserID{packet: p, attr: p.tag == tagUserAttr}
			if !u.attr {
				u.ID = string(p.body)
				if pu, err := packet.Read(bytes.NewReader(p.data)); err == nil {
					if id, ok := pu.(*packet.UserId); ok {
						u.Name, u.Comment, u.Email = id.Name, id.Comment, id.Email
					}
				}
			}
			k.UIDs = append(k.UIDs, u)
			cur = &u.sigs
		case tagPublicSubkey, tagSecretSubkey:
			s, err := parseKeyPacket(p)
			if err != nil {
				// gpg skips subkeys it cannot use; keep going without it.
				var dropped []*keySig
				cur = &dropped
				continue
			}
			k.Subkeys = append(k.Subkeys, s)
			cur = &s.sigs
		default:
			// Trust packets and anything else are not part of the
			// certificate as gpg exports it.
		}
	}
	k.evaluate()
	return k, nil
}

// parseKeyPacket parses a public or secret (sub)key packet.
func parseKeyPacket(p rawPacket) (*Subkey, error) {
	pp, err := packet.Read(bytes.NewReader(p.data))
	if err != nil {
		return nil, fmt.Errorf("key packet: %w: %v", errMalformed, err)
	}
	switch x := pp.(type) {
	case *packet.PublicKey:
		return &Subkey{Pub: x, packet: p}, nil
	case *packet.PrivateKey:
		return &Subkey{Pub: &x.PublicKey, Priv: x, packet: p}, nil
	}
	return nil, fmt.Errorf("not a key packet: %w", errMalformed)
}

// byPrimary reports whether sig claims to be issued by the primary key.
func (k *Key) byPrimary(sig *packet.Signature) bool {
	if sig.IssuerFingerprint != nil {
		return bytes.Equal(sig.IssuerFingerprint, k.Primary.Pub.Fingerprint)
	}
	return sig.IssuerKeyId != nil && *sig.IssuerKeyId == k.Primary.Pub.KeyId
}

// evaluate checks the self-signatures and derives validity, expiry,
// revocation and usage the way gpg does for the common cases: the latest
// valid self-signature wins, and a valid revocation revokes.
func (k *Key) evaluate() {
	pk := k.Primary.Pub
	var latest *packet.Signature // latest self-signature on the primary
	consider := func(s *packet.Signature) {
		if latest == nil || s.CreationTime.After(latest.CreationTime) {
			latest = s
		}
	}
	for _, s := range k.direct {
		if s.sig == nil || !k.byPrimary(s.sig) {
			continue
		}
		switch s.sig.SigType {
		case packet.SigTypeKeyRevocation:
			s.checked, s.valid = true, pk.VerifyRevocationSignature(s.sig) == nil
			if s.valid {
				k.Revoked = true
			}
		case packet.SigTypeDirectSignature:
			s.checked, s.valid = true, pk.VerifyDirectKeySignature(s.sig) == nil
			if s.valid {
				consider(s.sig)
			}
		}
	}
	for _, u := range k.UIDs {
		var revokedAt time.Time
		for _, s := range u.sigs {
			if s.sig == nil || !k.byPrimary(s.sig) || u.attr {
				continue
			}
			switch s.sig.SigType {
			case packet.SigTypeGenericCert, packet.SigTypePersonaCert, packet.SigTypeCasualCert, packet.SigTypePositiveCert:
				s.checked, s.valid = true, pk.VerifyUserIdSignature(u.ID, pk, s.sig) == nil
				if s.valid && (u.selfSig == nil || s.sig.CreationTime.After(u.selfSig.CreationTime)) {
					u.selfSig = s.sig
				}
			case packet.SigTypeCertificationRevocation:
				s.checked, s.valid = true, pk.VerifyUserIdSignature(u.ID, pk, s.sig) == nil
				if s.valid && s.sig.CreationTime.After(revokedAt) {
					revokedAt = s.sig.CreationTime
				}
			}
		}
		if u.attr {
			continue
		}
		u.Invalid = u.selfSig == nil
		u.Revoked = !revokedAt.IsZero() && (u.selfSig == nil || !revokedAt.Before(u.selfSig.CreationTime))
		if u.selfSig != nil && !u.Revoked {
			consider(u.selfSig)
		}
	}
	if latest != nil {
		if latest.KeyLifetimeSecs != nil && *latest.KeyLifetimeSecs != 0 {
			k.Primary.Expires = pk.CreationTime.Add(time.Duration(*latest.KeyLifetimeSecs) * time.Second)
		}
		k.Primary.CanSign = pk.CanSign() && (!latest.FlagsValid || latest.FlagSign)
	} else {
		k.Primary.CanSign = pk.CanSign()
	}
	k.Primary.Bound = true
	k.Primary.Revoked = k.Revoked

	for _, sk := range k.Subkeys {
		var binding *packet.Signature
		for _, s := range sk.sigs {
			if s.sig == nil || !k.byPrimary(s.sig) {
				continue
			}
			switch s.sig.SigType {
			case packet.SigTypeSubkeyBinding:
				s.checked, s.valid = true, pk.VerifyKeySignature(sk.Pub, s.sig) == nil
				if s.valid && (binding == nil || s.sig.CreationTime.After(binding.CreationTime)) {
					binding = s.sig
				}
			case packet.SigTypeSubkeyRevocation:
				s.checked, s.valid = true, pk.VerifySubkeyRevocationSignature(s.sig, sk.Pub) == nil
				if s.valid {
					sk.Revoked = true
				}
			}
		}
		if binding == nil {
			continue
		}
		sk.Bound = true
		if binding.KeyLifetimeSecs != nil && *binding.KeyLifetimeSecs != 0 {
			sk.Expires = sk.Pub.CreationTime.Add(time.Duration(*binding.KeyLifetimeSecs) * time.Second)
		}
		sk.CanSign = sk.Pub.CanSign() && binding.FlagsValid && binding.FlagSign
	}
}

// findKey returns the key of k with the given key ID or fingerprint.
func (k *Key) findKey(keyID uint64, fpr []byte) *Subkey {
	for _, s := range k.allKeys() {
		if fpr != nil && bytes.Equal(fpr, s.Pub.Fingerprint) {
			return s
		}
		if fpr == nil && s.Pub.KeyId == keyID {
			return s
		}
	}
	return nil
}

// signingKey picks the key gpg signs with when asked for k: the newest
// usable signing subkey, else the primary key if it can sign.
func (k *Key) signingKey(now time.Time, needSecret bool) *Subkey {
	var best *Subkey
	for _, s := range k.Subkeys {
		if !s.Bound || !s.CanSign || s.Revoked || s.ExpiredAt(now) || (needSecret && !hasUsableSecret(s)) {
			continue
		}
		if best == nil || s.Created().After(best.Created()) {
			best = s
		}
	}
	if best != nil {
		return best
	}
	p := k.Primary
	if p.CanSign && !p.Revoked && !p.ExpiredAt(now) && (!needSecret || hasUsableSecret(p)) {
		return p
	}
	return nil
}

func hasUsableSecret(s *Subkey) bool {
	return s.Priv != nil && !s.Priv.Dummy()
}

// Matches reports whether spec names this key as gpg's key
// specifications do: a hex key ID (8 or 16 digits) or fingerprint,
// optionally with a 0x prefix, of the primary key or a subkey; or a user
// ID ("<email>", "=exact uid", "@domain", or a case-insensitive
// substring).
func (k *Key) Matches(spec string) bool {
	if h, ok := hexSpec(spec); ok {
		for _, s := range k.allKeys() {
			if strings.HasSuffix(s.Fingerprint(), h) {
				return true
			}
		}
		return false
	}
	for _, u := range k.UIDs {
		if u.attr {
			continue
		}
		switch {
		case strings.HasPrefix(spec, "<"):
			if strings.EqualFold("<"+u.Email+">", spec) {
				return true
			}
		case strings.HasPrefix(spec, "="):
			if u.ID == spec[1:] {
				return true
			}
		case strings.HasPrefix(spec, "@"):
			if strings.Contains(strings.ToLower(u.Email), strings.ToLower(spec)) {
				return true
			}
		default:
			if spec != "" && strings.Contains(strings.ToLower(u.ID), strings.ToLower(spec)) {
				return true
			}
		}
	}
	return false
}

// hexSpec recognizes a key ID or fingerprint and returns it upper-cased
// without prefix.
func hexSpec(spec string) (string, bool) {
	s := strings.TrimPrefix(strings.TrimPrefix(spec, "0x"), "0X")
	switch len(s) {
	case 8, 16, 32, 40, 64:
	default:
		return "", false
	}
	if _, err := hex.DecodeString(s); err != nil {
		return "", false
	}
	return strings.ToUpper(s), true
}
