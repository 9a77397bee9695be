package sign

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Keyring is an ordered set of OpenPGP keys, at most one per primary
// fingerprint: adding a key that is already present merges the two, as
// gpg's import does. The zero value is empty and ready to use. A Keyring
// is not safe for concurrent modification.
type Keyring struct {
	Keys []*Key
}

// ParseKeys reads OpenPGP keys from binary or ASCII-armored data (several
// armored blocks may follow each other, as `cat key1.asc key2.asc` makes
// them). Public and secret keys are accepted; trust packets are ignored.
// Certificates that cannot be parsed are skipped, as gpg skips them; it is
// an error only when data holds no key at all.
func ParseKeys(data []byte) (*Keyring, error) {
	kr := &Keyring{}
	if err := kr.AddData(data); err != nil {
		return nil, err
	}
	return kr, nil
}

// AddData merges the keys of data (see ParseKeys) into kr. It returns an
// error when data has no key.
func (kr *Keyring) AddData(data []byte) error {
	raw, err := dearmor(data)
	if err != nil {
		return err
	}
	pkts, err := splitPackets(raw)
	if err != nil {
		return err
	}
	n := 0
	for start := 0; start < len(pkts); {
		if t := pkts[start].tag; t != tagPublicKey && t != tagSecretKey {
			start++
			continue
		}
		end := start + 1
		for end < len(pkts) && pkts[end].tag != tagPublicKey && pkts[end].tag != tagSecretKey {
			end++
		}
		if k, err := parseKey(pkts[start:end]); err == nil {
			kr.Add(k)
			n++
		}
		start = end
	}
	if n == 0 {
		return fmt.Errorf("no valid OpenPGP key found: %w", errMalformed)
	}
	return nil
}

// AddFile merges the keys of a key file into kr.
func (kr *Keyring) AddFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return nil
	}
	if err := kr.AddData(data); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Add merges k into kr and reports whether it was a new key (one whose
// primary fingerprint was not in kr). Merging keeps the existing packets
// and adds the user IDs, subkeys and signatures that k has and they lack.
func (kr *Keyring) Add(k *Key) bool {
	for i, old := range kr.Keys {
		if bytes.Equal(old.Primary.Pub.Fingerprint, k.Primary.Pub.Fingerprint) {
			kr.Keys[i] = mergeKeys(old, k)
			return false
		}
	}
	kr.Keys = append(kr.Keys, k)
	return true
}

// Find returns the keys that spec names (see Key.Matches).
func (kr *Keyring) Find(spec string) []*Key {
	var out []*Key
	for _, k := range kr.Keys {
		if k.Matches(spec) {
			out = append(out, k)
		}
	}
	return out
}

// issuer returns the key and (sub)key that issued sig, or nils.
func (kr *Keyring) issuer(sig *packet.Signature) (*Key, *Subkey) {
	var id uint64
	if sig.IssuerKeyId != nil {
		id = *sig.IssuerKeyId
	}
	for _, k := range kr.Keys {
		if s := k.findKey(id, sig.IssuerFingerprint); s != nil {
			return k, s
		}
	}
	if sig.IssuerFingerprint != nil && sig.IssuerKeyId != nil {
		// A fingerprint we do not know; try the key ID alone.
		for _, k := range kr.Keys {
			if s := k.findKey(id, nil); s != nil {
				return k, s
			}
		}
	}
	return nil, nil
}

// Marshal writes kr as a binary public keyring in the layout gpg gives
// its keyring files (pubring.gpg, <remote>.trustedkeys.gpg): each key's
// public packets with old-format headers, and the ring trust packets gpg
// adds after the primary key, user IDs and signatures. Secret material is
// never written.
func (kr *Keyring) Marshal() []byte {
	var out []byte
	for _, k := range kr.Keys {
		out = k.appendPublic(out, true)
	}
	return out
}

// Export writes kr as `gpg --export` does: public packets only, without
// trust packets.
func (kr *Keyring) Export() []byte {
	var out []byte
	for _, k := range kr.Keys {
		out = k.appendPublic(out, false)
	}
	return out
}

// Ring trust packets (GnuPG's keyring-only packet 12): "gpg" tagged,
// with the signature cache flags for signatures.
var (
	trustKey = []byte{0, 0, 'g', 'p', 'g', 1, 0, 0, 0, 0, 0, 0}
	trustUID = []byte{0, 0, 'g', 'p', 'g', 2, 0, 0, 0, 0, 0, 0}
)

func trustSig(s *keySig) []byte {
	cache := byte(0)
	if s.checked {
		cache = 1
		if s.valid {
			cache = 3
		}
	}
	return []byte{0, cache, 'g', 'p', 'g', 0}
}

// appendPublic writes the public form of k.
func (k *Key) appendPublic(out []byte, trust bool) []byte {
	out = appendPacket(out, tagPublicKey, publicBody(k.Primary))
	if trust {
		out = appendPacket(out, tagTrust, trustKey)
	}
	sigs := func(list []*keySig) {
		for _, s := range list {
			out = appendPacket(out, tagSignature, s.packet.body)
			if trust {
				out = appendPacket(out, tagTrust, trustSig(s))
			}
		}
	}
	sigs(k.direct)
	for _, u := range k.UIDs {
		tag := tagUserID
		if u.attr {
			tag = tagUserAttr
		}
		out = appendPacket(out, tag, u.packet.body)
		if trust {
			out = appendPacket(out, tagTrust, trustUID)
		}
		sigs(u.sigs)
	}
	for _, s := range k.Subkeys {
		out = appendPacket(out, tagPublicSubkey, publicBody(s))
		sigs(s.sigs)
	}
	return out
}

// publicBody is the body of the public key packet of s.
func publicBody(s *Subkey) []byte {
	if s.packet.tag == tagPublicKey || s.packet.tag == tagPublicSubkey {
		return s.packet.body
	}
	var b bytes.Buffer
	if err := s.Pub.Serialize(&b); err != nil {
		return nil
	}
	_, hdr, n, err := packetHeader(b.Bytes())
	if err != nil {
		return nil
	}
	return b.Bytes()[hdr : hdr+n]
}

// mergeKeys adds to old the components and signatures of k it lacks,
// keeping old's order, and re-derives the key's state.
func mergeKeys(old, k *Key) *Key {
	hasSig := func(list []*keySig, s *keySig) bool {
		for _, x := range list {
			if bytes.Equal(x.packet.body, s.packet.body) {
				return true
			}
		}
		return false
	}
	mergeSigs := func(dst *[]*keySig, src []*keySig) {
		for _, s := range src {
			if !hasSig(*dst, s) {
				*dst = append(*dst, s)
			}
		}
	}
	mergeSigs(&old.direct, k.direct)
	for _, u := range k.UIDs {
		found := false
		for _, ou := range old.UIDs {
			if bytes.Equal(ou.packet.body, u.packet.body) {
				mergeSigs(&ou.sigs, u.sigs)
				found = true
				break
			}
		}
		if !found {
			old.UIDs = append(old.UIDs, u)
		}
	}
	for _, s := range k.Subkeys {
		found := false
		for _, os := range old.Subkeys {
			if bytes.Equal(os.Pub.Fingerprint, s.Pub.Fingerprint) {
				mergeSigs(&os.sigs, s.sigs)
				if os.Priv == nil && s.Priv != nil {
					os.Priv, os.packet = s.Priv, s.packet
				}
				found = true
				break
			}
		}
		if !found {
			old.Subkeys = append(old.Subkeys, s)
		}
	}
	if old.Primary.Priv == nil && k.Primary.Priv != nil {
		old.Primary.Priv, old.Primary.packet = k.Primary.Priv, k.Primary.packet
	}
	// Re-derive from scratch: reset what evaluate computes.
	old.Revoked = false
	for _, s := range old.allKeys() {
		s.Expires, s.Revoked, s.CanSign, s.Bound = time.Time{}, false, false, false
	}
	for _, u := range old.UIDs {
		u.selfSig, u.Revoked, u.Invalid = nil, false, false
	}
	old.evaluate()
	return old
}
