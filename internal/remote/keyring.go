package remote

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsx"
)

// KeyringPath is where a remote's trusted GPG keys live: the binary
// keyring REPO/NAME.trustedkeys.gpg.
func (c *Config) KeyringPath(name string) string {
	return filepath.Join(c.r.Path(), name+".trustedkeys.gpg")
}

// ImportKeys adds the OpenPGP public keys in data (ASCII-armored or
// binary, possibly several blocks) to the keyring of remote name (which
// may be a parent repository's remote) and returns how many keys were
// new. With keyIDs, only the keys with those IDs (long or short key IDs
// or fingerprints, of the primary key or a subkey) are imported, and an
// ID that matches nothing is an error. It does not check the keys'
// signatures: like `remote add --gpg-import`, it trusts what it is given.
// Unlike gpg, it appends the transferable keys as they are rather than
// re-exporting them.
func (c *Config) ImportKeys(ctx context.Context, name string, data []byte, keyIDs []string) (int, error) {
	if _, err := c.Get(name); err != nil {
		return 0, err
	}
	raw, err := dearmor(data)
	if err != nil {
		return 0, fmt.Errorf("import GPG keys for remote %s: %w", name, err)
	}
	keys, err := splitKeys(raw)
	if err != nil {
		return 0, fmt.Errorf("import GPG keys for remote %s: %w", name, err)
	}
	if len(keys) == 0 {
		return 0, fmt.Errorf("import GPG keys for remote %s: no public keys found: %w", name, errdefs.ErrInvalid)
	}
	if len(keyIDs) > 0 {
		var sel []transferableKey
		for _, id := range keyIDs {
			found := false
			for _, k := range keys {
				if k.matches(id) {
					sel = append(sel, k)
					found = true
					break
				}
			}
			if !found {
				return 0, fmt.Errorf("Unable to find key \"%s\": %w", id, errdefs.ErrNotFound)
			}
		}
		keys = sel
	}
	p := c.KeyringPath(name)
	cur, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("import GPG keys for remote %s: %w", name, err)
	}
	have := map[string]bool{}
	if existing, err := splitKeys(cur); err == nil {
		for _, k := range existing {
			have[string(k.primary)] = true
		}
	}
	out := append([]byte{}, cur...)
	n := 0
	for _, k := range keys {
		if have[string(k.primary)] {
			continue
		}
		have[string(k.primary)] = true
		out = append(out, k.packets...)
		n++
	}
	if n > 0 {
		if err := fsx.WriteFileAtomic(p, out, 0o644, c.r.FsyncEnabled()); err != nil {
			return 0, fmt.Errorf("import GPG keys for remote %s: %w", name, err)
		}
	}
	return n, nil
}

// dearmor decodes every ASCII-armored block of data; data that is not
// armored is returned as it is.
func dearmor(data []byte) ([]byte, error) {
	if !bytes.Contains(data, []byte("-----BEGIN PGP ")) {
		return data, nil
	}
	var out []byte
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "-----BEGIN PGP ") {
			continue
		}
		// Armor headers end at the first blank line.
		i++
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" && strings.Contains(lines[i], ":") {
			i++
		}
		var b64 strings.Builder
		for ; i < len(lines) && !strings.HasPrefix(lines[i], "-----END PGP "); i++ {
			l := strings.TrimSpace(lines[i])
			if strings.HasPrefix(l, "=") {
				continue // checksum
			}
			b64.WriteString(l)
		}
		dec, err := base64.StdEncoding.DecodeString(b64.String())
		if err != nil {
			return nil, fmt.Errorf("bad armored data: %w", errdefs.ErrInvalid)
		}
		out = append(out, dec...)
	}
	return out, nil
}

// transferableKey is a primary key packet with the packets that follow it
// up to the next primary key.
type transferableKey struct {
	primary      []byte   // the primary key packet's body, which identifies the key
	fingerprints []string // upper-case hex v4 fingerprints of the key and its subkeys
	packets      []byte
}

// matches reports whether id (a key ID or fingerprint, any case, with an
// optional 0x) names the key or one of its subkeys.
func (k transferableKey) matches(id string) bool {
	id = strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(id, "0x"), "0X"))
	if len(id) < 8 {
		return false
	}
	for _, fp := range k.fingerprints {
		if strings.HasSuffix(fp, id) {
			return true
		}
	}
	return false
}

// fingerprint is the v4 fingerprint of a public key packet body: SHA-1
// over 0x99, the body length and the body (RFC 4880 12.2). Other
// versions have none here.
func fingerprint(body []byte) string {
	if len(body) == 0 || body[0] != 4 {
		return ""
	}
	//nolint:gosec // OpenPGP v4 fingerprints are SHA-1 by definition; this is identification, not integrity.
	h := sha1.New()
	h.Write([]byte{0x99, byte(len(body) >> 8), byte(len(body))})
	h.Write(body)
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}

// splitKeys splits a binary keyring into its public keys. Secret keys
// (which gpg would import as their public part) are skipped with the
// packets that follow them.
func splitKeys(b []byte) ([]transferableKey, error) {
	var keys []transferableKey
	skipping := false
	for len(b) > 0 {
		tag, hdr, body, err := packet(b)
		if err != nil {
			return nil, err
		}
		pkt, content := b[:hdr+body], b[hdr:hdr+body]
		b = b[hdr+body:]
		switch tag {
		case 6:
			skipping = false
			keys = append(keys, transferableKey{primary: content, fingerprints: []string{fingerprint(content)}})
		case 5:
			skipping = true
		case 14:
			if !skipping && len(keys) > 0 {
				k := &keys[len(keys)-1]
				k.fingerprints = append(k.fingerprints, fingerprint(content))
			}
		}
		if !skipping && len(keys) > 0 {
			k := &keys[len(keys)-1]
			k.packets = append(k.packets, pkt...)
		}
	}
	return keys, nil
}

// packet parses an OpenPGP packet header (RFC 4880 4.2): its tag and the
// lengths of header and body.
func packet(b []byte) (tag, hdr, body int, err error) {
	bad := fmt.Errorf("malformed OpenPGP packet: %w", errdefs.ErrInvalid)
	if len(b) < 2 || b[0]&0x80 == 0 {
		return 0, 0, 0, bad
	}
	if b[0]&0x40 != 0 { // new format
		tag = int(b[0] & 0x3f)
		switch o := int(b[1]); {
		case o < 192:
			hdr, body = 2, o
		case o < 224:
			if len(b) < 3 {
				return 0, 0, 0, bad
			}
			hdr, body = 3, (o-192)<<8+int(b[2])+192
		case o == 255:
			if len(b) < 6 {
				return 0, 0, 0, bad
			}
			hdr, body = 6, int(b[2])<<24|int(b[3])<<16|int(b[4])<<8|int(b[5])
		default:
			return 0, 0, 0, bad // partial lengths are not used for keys
		}
	} else {
		tag = int(b[0]>>2) & 0xf
		switch b[0] & 3 {
		case 0:
			hdr, body = 2, int(b[1])
		case 1:
			if len(b) < 3 {
				return 0, 0, 0, bad
			}
			hdr, body = 3, int(b[1])<<8|int(b[2])
		case 2:
			if len(b) < 5 {
				return 0, 0, 0, bad
			}
			hdr, body = 5, int(b[1])<<24|int(b[2])<<16|int(b[3])<<8|int(b[4])
		default:
			hdr, body = 1, len(b)-1
		}
	}
	if body < 0 || hdr+body > len(b) {
		return 0, 0, 0, bad
	}
	return tag, hdr, body, nil
}
