package sign

import (
	"crypto/sha1" //nolint:gosec // the WKD hash is SHA-1 by definition
	"fmt"
	"strings"
	"time"
)

// KeyInfo describes a trusted key as ostree_repo_remote_get_gpg_keys
// does (OSTREE_GPG_KEY_GVARIANT_FORMAT): its primary key and subkeys, and
// its user IDs with their Web Key Directory update URLs.
type KeyInfo struct {
	Subkeys []SubkeyInfo // the primary key first
	UIDs    []UIDInfo
}

// SubkeyInfo is one key of a KeyInfo.
type SubkeyInfo struct {
	Fingerprint               string
	Created, Expires          int64 // Unix seconds; Expires is 0 for never
	Revoked, Expired, Invalid bool
}

// UIDInfo is one user ID of a KeyInfo.
type UIDInfo struct {
	UID, Name, Comment, Email string
	Revoked, Invalid          bool
	// AdvancedURL and DirectURL are the WKD URLs for the user ID's
	// address, "" without one.
	AdvancedURL, DirectURL string
}

// Info lists the keys of kr at time now, as gpgme lists them: a revoked
// or expired primary key marks its subkeys and user IDs too.
func (kr *Keyring) Info(now time.Time) []KeyInfo {
	var out []KeyInfo
	for _, k := range kr.Keys {
		var ki KeyInfo
		primaryExpired := k.Primary.ExpiredAt(now)
		for i, s := range k.allKeys() {
			if i > 0 && !s.Bound {
				continue
			}
			si := SubkeyInfo{
				Fingerprint: s.Fingerprint(),
				Created:     s.Created().Unix(),
				Revoked:     k.Revoked || s.Revoked,
				Expired:     primaryExpired || s.ExpiredAt(now),
			}
			if !s.Expires.IsZero() {
				si.Expires = s.Expires.Unix()
			}
			ki.Subkeys = append(ki.Subkeys, si)
		}
		for _, u := range k.UIDs {
			if u.attr {
				continue
			}
			ui := UIDInfo{
				UID: u.ID, Name: u.Name, Comment: u.Comment, Email: u.Email,
				Revoked: k.Revoked || u.Revoked,
				Invalid: u.Invalid,
			}
			if addr := mailbox(u.Email); addr != "" {
				ui.AdvancedURL, ui.DirectURL, _ = WKDURLs(addr)
			}
			ki.UIDs = append(ki.UIDs, ui)
		}
		out = append(out, ki)
	}
	return out
}

// mailbox is gpgme's uid->address: the lower-cased addr-spec, or "" when
// the email is not a plausible address.
func mailbox(email string) string {
	if strings.Count(email, "@") != 1 || strings.HasPrefix(email, "@") || strings.HasSuffix(email, "@") ||
		strings.ContainsAny(email, " \t<>") {
		return ""
	}
	return strings.ToLower(email)
}

// zbase32Alphabet is z-base-32's alphabet.
const zbase32Alphabet = "ybndrfg8ejkmcpqxot1uwisza345h769"

func zbase32(b []byte) string {
	var out strings.Builder
	var acc uint32
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint32(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out.WriteByte(zbase32Alphabet[(acc>>uint(bits))&31])
		}
	}
	if bits > 0 {
		out.WriteByte(zbase32Alphabet[(acc<<uint(5-bits))&31])
	}
	return out.String()
}

// WKDURLs returns the OpenPGP Web Key Directory URLs for an email address
// (draft-koch-openpgp-webkey-service), as ot_gpg_wkd_urls builds them.
func WKDURLs(email string) (advanced, direct string, err error) {
	parts := strings.Split(email, "@")
	if len(parts) != 2 {
		return "", "", fmt.Errorf("Invalid email address \"%s\"", email)
	}
	local, domain := parts[0], parts[1]
	sum := sha1.Sum([]byte(strings.ToLower(local))) //nolint:gosec // WKD
	enc := zbase32(sum[:])
	esc := uriEscape(local)
	advanced = fmt.Sprintf("https://openpgpkey.%s/.well-known/openpgpkey/%s/hu/%s?l=%s", domain, strings.ToLower(domain), enc, esc)
	direct = fmt.Sprintf("https://%s/.well-known/openpgpkey/hu/%s?l=%s", domain, enc, esc)
	return advanced, direct, nil
}

// uriEscape is g_uri_escape_string with no reserved characters allowed:
// everything but unreserved characters is percent-encoded.
func uriEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// FormatKeyInfo is the text `ostree remote gpg-list-keys` prints for one
// key (ot_dump_gpg_key), with dates in local time.
func FormatKeyInfo(k KeyInfo) string {
	var b strings.Builder
	sub := func(s SubkeyInfo, primary bool) {
		label, indent := "  Subkey", "    "
		if primary {
			label, indent = "Key", "  "
		}
		fmt.Fprintf(&b, "%s: %s%s%s\n", label, s.Fingerprint, cond(s.Revoked, " (revoked)"), cond(s.Invalid, " (invalid)"))
		fmt.Fprintf(&b, "%sCreated: %s\n", indent, formatLocalTime(s.Created))
		if s.Expires > 0 {
			verb := "Expires"
			if s.Expired {
				verb = "Expired"
			}
			fmt.Fprintf(&b, "%s%s: %s\n", indent, verb, formatLocalTime(s.Expires))
		}
	}
	if len(k.Subkeys) == 0 {
		return ""
	}
	sub(k.Subkeys[0], true)
	for _, u := range k.UIDs {
		fmt.Fprintf(&b, "  UID: %s%s%s\n", u.UID, cond(u.Revoked, " (revoked)"), cond(u.Invalid, " (invalid)"))
		fmt.Fprintf(&b, "  Advanced update URL: %s\n", u.AdvancedURL)
		fmt.Fprintf(&b, "  Direct update URL: %s\n", u.DirectURL)
	}
	for _, s := range k.Subkeys[1:] {
		sub(s, false)
	}
	return b.String()
}

func cond(c bool, s string) string {
	if c {
		return s
	}
	return ""
}
