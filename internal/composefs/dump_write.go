package composefs

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"

	"github.com/gostree/gostree/internal/errdefs"
)

// WriteDump writes the tree in libcomposefs's dump format, byte for byte
// what composefs-info dump prints for the same tree: depth first, a hard
// link as "@MODE" with its target's path as payload and its target's
// attributes.
func WriteDump(w io.Writer, root *Node) error {
	paths := map[*Node]string{}
	_ = Walk(root, func(p string, n *Node) error {
		paths[n] = p
		return nil
	})
	bw := bufio.NewWriterSize(w, 1<<16)
	var line []byte
	err := Walk(root, func(p string, n *Node) error {
		var err error
		line, err = appendDumpLine(line[:0], p, n, paths)
		if err != nil {
			return err
		}
		_, err = bw.Write(line)
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

func appendDumpLine(b []byte, path string, n *Node, paths map[*Node]string) ([]byte, error) {
	t := n
	linkPath := ""
	if n.LinkTo != nil {
		t = n.LinkTo
		p, ok := paths[t]
		if !ok {
			return nil, fmt.Errorf("%s: hard link to a node outside the tree: %w", path, errdefs.ErrInvalid)
		}
		linkPath = p
	}
	b = appendEscaped(b, []byte(path), escStandard)
	b = append(b, ' ')
	b = strconv.AppendUint(b, t.Size, 10)
	b = append(b, ' ')
	if n.LinkTo != nil {
		b = append(b, '@')
	}
	b = strconv.AppendUint(b, uint64(t.Mode), 8)
	for _, v := range []uint32{t.Nlink, t.UID, t.GID, t.Rdev} {
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, t.MtimeSec, 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(t.MtimeNsec), 10)
	b = append(b, ' ')
	switch {
	case n.LinkTo != nil:
		b = appendEscaped(b, []byte(linkPath), escLoneDash)
	case t.HasPayload || t.Payload != "":
		b = appendEscaped(b, []byte(t.Payload), escLoneDash)
	default:
		b = append(b, '-')
	}
	b = append(b, ' ')
	if t.Content != nil {
		b = appendEscaped(b, t.Content, escLoneDash)
	} else {
		b = append(b, '-')
	}
	b = append(b, ' ')
	if t.Digest != nil {
		b = hex.AppendEncode(b, t.Digest[:])
	} else {
		b = append(b, '-')
	}
	for _, x := range t.Xattrs {
		b = append(b, ' ')
		b = appendEscaped(b, []byte(x.Key), escEqual)
		b = append(b, '=')
		b = appendEscaped(b, x.Value, escEqual)
	}
	return append(b, '\n'), nil
}
