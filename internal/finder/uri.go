package finder

import "strings"

// escapeURI is g_uri_escape_string(s, NULL, FALSE): every byte but the
// unreserved characters (letters, digits, "-._~") becomes %XX.
func escapeURI(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// dynamicRemoteName is the name of a remote a finder made up for uri,
// verified with keyring: both URI-escaped, joined by "_", with every "%"
// turned into "_" so that the name is a valid remote name
// (uri_and_keyring_to_name).
func dynamicRemoteName(uri, keyring string) string {
	return strings.ReplaceAll(escapeURI(uri)+"_"+escapeURI(keyring), "%", "_")
}
