package sign

// glibBase64Rank maps a byte to its base64 value; 0xff marks bytes that
// GLib's decoder skips. '=' ranks 0, as in GLib.
var glibBase64Rank = func() [256]byte {
	var r [256]byte
	for i := range r {
		r[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		r[alphabet[i]] = byte(i)
	}
	r['='] = 0
	return r
}()

// decodeBase64GLib decodes s the way g_base64_decode does, since
// libostree reads keys with it: bytes outside the alphabet (whitespace,
// a trailing '\r') are skipped rather than rejected, '=' counts as a
// zero digit that drops the bytes it pads, and a trailing partial group
// is ignored. The lengths callers then check are what reject garbage.
func decodeBase64GLib(s string) []byte {
	out := make([]byte, 0, len(s)/4*3)
	var v uint32
	n := 0
	var last0, last1 byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		rank := glibBase64Rank[c]
		if rank == 0xff {
			continue
		}
		last1, last0 = last0, c
		v = v<<6 | uint32(rank)
		n++
		if n == 4 {
			out = append(out, byte(v>>16))
			if last1 != '=' {
				out = append(out, byte(v>>8))
			}
			if last0 != '=' {
				out = append(out, byte(v))
			}
			n, v = 0, 0
		}
	}
	return out
}
