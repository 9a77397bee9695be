package composefs

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// readXattrs reads an inode's xattr body (inline entries, then shared
// ones, the order composefs-info prints) and maps the overlay xattrs back
// the way libcomposefs's reader does.
func (rd *reader) readXattrs(n *Node, ri *rawInode) error {
	if ri.xsize == 0 {
		return nil
	}
	le := binary.LittleEndian
	what := xattrWhat{ri}
	body, err := rd.bytes(ri.off+ri.isize, ri.xsize, "xattrs")
	if err != nil {
		return err
	}
	filter := le.Uint32(body[0:])
	nShared := uint64(body[4])
	if xattrHdrSize+4*nShared > ri.xsize {
		return fmt.Errorf("%s: %d shared refs do not fit: %w", what, nShared, ErrMalformed)
	}
	type raw struct{ key, value []byte }
	var xs []raw
	pos := xattrHdrSize + 4*nShared
	for pos < ri.xsize {
		key, value, size, err := rd.xattrEntry(body[pos:], what)
		if err != nil {
			return err
		}
		xs = append(xs, raw{key, value})
		pos += size
	}
	if pos != ri.xsize {
		return fmt.Errorf("%s: entries overrun the xattr body: %w", what, ErrMalformed)
	}
	for i := uint64(0); i < nShared; i++ {
		off := rd.xattrBase + 4*uint64(le.Uint32(body[xattrHdrSize+4*i:]))
		if off >= uint64(len(rd.data)) {
			return fmt.Errorf("%s: shared entry at offset %d beyond the image: %w", what, off, ErrMalformed)
		}
		ent := rd.data[off:min(uint64(len(rd.data)), off+xattrEntSize+255+65535)]
		key, value, _, err := rd.xattrEntry(ent, what)
		if err != nil {
			return err
		}
		xs = append(xs, raw{key, value})
	}
	seen := make(map[string]bool, len(xs))
	for _, x := range xs {
		k := string(x.key)
		if seen[k] {
			return fmt.Errorf("%s: %q twice: %w", what, k, ErrMalformed)
		}
		seen[k] = true
		idx, suffix := splitXattrKey(k)
		if filter&(1<<(xxh32([]byte(suffix), xattrSeed+uint32(idx))&31)) != 0 {
			return fmt.Errorf("%s: name filter hides %q: %w", what, k, ErrMalformed)
		}
		if err := checkXattr(k, x.value); err != nil {
			return fmt.Errorf("%s: %v: %w", what, err, ErrMalformed)
		}
		unmapXattr(n, k, x.value)
	}
	return nil
}

// xattrEntry decodes one entry at the start of b, returning its full
// name, its value and its padded size.
func (rd *reader) xattrEntry(b []byte, what xattrWhat) (key, value []byte, size uint64, err error) {
	if len(b) < xattrEntSize {
		return nil, nil, 0, fmt.Errorf("%s: truncated entry: %w", what, ErrMalformed)
	}
	nameLen, idx := int(b[0]), b[1]
	valueLen := int(binary.LittleEndian.Uint16(b[2:]))
	if int(idx) >= len(xattrPrefixes) || idx != 0 && xattrPrefixes[idx] == "" {
		return nil, nil, 0, fmt.Errorf("%s: unsupported name index %d: %w", what, idx, ErrMalformed)
	}
	end := xattrEntSize + nameLen + valueLen
	if end > len(b) {
		return nil, nil, 0, fmt.Errorf("%s: entry of %d bytes overruns: %w", what, end, ErrMalformed)
	}
	key = append([]byte(xattrPrefixes[idx]), b[xattrEntSize:xattrEntSize+nameLen]...)
	value = append([]byte(nil), b[xattrEntSize+nameLen:end]...)
	return key, value, uint64(roundUp(end, 4)), nil
}

// unmapXattr applies one stored xattr to a node read from an image:
// redirect and metacopy become payload and digest, an escaped whiteout
// turns the file back into a whiteout, escaped trusted.overlay.* names
// are unescaped, and the other overlay xattrs composefs adds are dropped.
func unmapXattr(n *Node, key string, value []byte) {
	typ := n.Type()
	switch key {
	case ovlRedirect:
		if typ == TypeRegular {
			if len(value) > 1 && value[0] == '/' {
				value = value[1:]
			}
			if i := bytes.IndexByte(value, 0); i >= 0 {
				value = value[:i]
			}
			n.SetPayload(string(value))
		}
		return
	case ovlMetacopy:
		if typ == TypeRegular && len(value) == 4+32 {
			var d [32]byte
			copy(d[:], value[4:])
			n.Digest = &d
		}
		return
	case ovlEscWhiteout:
		if typ == TypeRegular {
			n.Mode = TypeChar | n.Mode&^TypeMask
			n.Rdev, n.Size, n.Content = 0, 0, nil
			return
		}
	case ovlEscWhiteouts, ovlUserWhiteout, ovlUserWhiteouts:
		return
	}
	if hasPrefix(key, ovlPrefix) {
		if !hasPrefix(key, ovlEscapePrefix) {
			return
		}
		key = "trusted." + key[len(ovlPrefix):]
	}
	n.SetXattr(key, value)
}

// xattrWhat names an inode's xattrs in errors, formatted only when one
// is reported.
type xattrWhat struct{ ri *rawInode }

func (w xattrWhat) String() string {
	return fmt.Sprintf("%s: xattrs of inode %d", w.ri.path, w.ri.nid)
}
