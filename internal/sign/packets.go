package sign

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
)

// OpenPGP packet tags (RFC 4880 4.3) this package handles.
const (
	tagSignature    = 2
	tagSecretKey    = 5
	tagPublicKey    = 6
	tagSecretSubkey = 7
	tagTrust        = 12
	tagUserID       = 13
	tagPublicSubkey = 14
	tagUserAttr     = 17
)

// errMalformed classifies unparsable OpenPGP data.
var errMalformed = fmt.Errorf("malformed OpenPGP data: %w", errdefs.ErrInvalid)

// rawPacket is one OpenPGP packet as it was read: its tag, and its
// complete bytes (header included) so it can be written back unchanged.
type rawPacket struct {
	tag  int
	data []byte // header and body
	body []byte // a subslice of data
}

// splitPackets splits binary OpenPGP data into packets. Partial body
// lengths (used only for streamed messages) are rejected.
func splitPackets(b []byte) ([]rawPacket, error) {
	var out []rawPacket
	for len(b) > 0 {
		tag, hdr, n, err := packetHeader(b)
		if err != nil {
			return nil, fmt.Errorf("packet at offset %d: %w", len(out), err)
		}
		out = append(out, rawPacket{tag: tag, data: b[: hdr+n : hdr+n], body: b[hdr : hdr+n : hdr+n]})
		b = b[hdr+n:]
	}
	return out, nil
}

// packetHeader parses a packet header (RFC 4880 4.2): the tag and the
// lengths of header and body.
func packetHeader(b []byte) (tag, hdr, body int, err error) {
	if len(b) < 2 || b[0]&0x80 == 0 {
		return 0, 0, 0, errMalformed
	}
	if b[0]&0x40 != 0 { // new format
		tag = int(b[0] & 0x3f)
		switch o := int(b[1]); {
		case o < 192:
			hdr, body = 2, o
		case o < 224:
			if len(b) < 3 {
				return 0, 0, 0, errMalformed
			}
			hdr, body = 3, (o-192)<<8+int(b[2])+192
		case o == 255:
			if len(b) < 6 {
				return 0, 0, 0, errMalformed
			}
			hdr, body = 6, int(uint32(b[2])<<24|uint32(b[3])<<16|uint32(b[4])<<8|uint32(b[5]))
		default:
			return 0, 0, 0, errMalformed
		}
	} else {
		tag = int(b[0]>>2) & 0xf
		switch b[0] & 3 {
		case 0:
			hdr, body = 2, int(b[1])
		case 1:
			if len(b) < 3 {
				return 0, 0, 0, errMalformed
			}
			hdr, body = 3, int(b[1])<<8|int(b[2])
		case 2:
			if len(b) < 5 {
				return 0, 0, 0, errMalformed
			}
			hdr, body = 5, int(uint32(b[1])<<24|uint32(b[2])<<16|uint32(b[3])<<8|uint32(b[4]))
		default: // indeterminate length: the rest of the data
			hdr, body = 1, len(b)-1
		}
	}
	if body < 0 || hdr+body > len(b) {
		return 0, 0, 0, errMalformed
	}
	return tag, hdr, body, nil
}

// appendPacket appends a packet with an old-format header, as gpg writes
// keys and signatures: the shortest length encoding of tags below 16.
func appendPacket(dst []byte, tag int, body []byte) []byte {
	n := len(body)
	switch {
	case n < 256:
		dst = append(dst, 0x80|byte(tag)<<2, byte(n))
	case n < 65536:
		dst = append(dst, 0x80|byte(tag)<<2|1, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|byte(tag)<<2|2, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, body...)
}

// isArmored reports whether data holds an ASCII-armored block.
func isArmored(data []byte) bool {
	return bytes.Contains(data, []byte("-----BEGIN PGP "))
}

// Dearmor returns the binary OpenPGP data of data: the contents of every
// ASCII-armored block concatenated, or data itself when it is not
// armored. Checksums are verified when present.
func Dearmor(data []byte) ([]byte, error) { return dearmor(data) }

func dearmor(data []byte) ([]byte, error) {
	if !isArmored(data) {
		return data, nil
	}
	var out []byte
	lines := strings.Split(strings.ReplaceAll(string(data), "\r", ""), "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "-----BEGIN PGP ") {
			continue
		}
		i++
		// Armor headers ("Key: value") end at the first blank line.
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" && strings.Contains(lines[i], ": ") {
			i++
		}
		var b64 strings.Builder
		crc := ""
		ended := false
		for ; i < len(lines); i++ {
			l := strings.TrimSpace(lines[i])
			if strings.HasPrefix(l, "-----END PGP ") {
				ended = true
				break
			}
			if strings.HasPrefix(l, "=") && len(l) == 5 {
				crc = l[1:]
				continue
			}
			b64.WriteString(l)
		}
		if !ended {
			return nil, fmt.Errorf("armored block has no END line: %w", errMalformed)
		}
		dec, err := base64.StdEncoding.DecodeString(b64.String())
		if err != nil {
			return nil, fmt.Errorf("armored block: %w", errMalformed)
		}
		if crc != "" {
			want, err := base64.StdEncoding.DecodeString(crc)
			if err != nil || len(want) != 3 || crc24(dec) != uint32(want[0])<<16|uint32(want[1])<<8|uint32(want[2]) {
				return nil, fmt.Errorf("armored block: checksum mismatch: %w", errMalformed)
			}
		}
		out = append(out, dec...)
	}
	if out == nil {
		return nil, errors.New("no OpenPGP data found")
	}
	return out, nil
}

// crc24 is the armor checksum of RFC 4880 6.1.
func crc24(b []byte) uint32 {
	crc := uint32(0xb704ce)
	for _, c := range b {
		crc ^= uint32(c) << 16
		for range 8 {
			crc <<= 1
			if crc&0x1000000 != 0 {
				crc ^= 0x1864cfb
			}
		}
	}
	return crc & 0xffffff
}
