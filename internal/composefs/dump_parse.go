package composefs

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
)

// ParseDump reads a tree in libcomposefs's dump format, as mkcomposefs
// --from-file does: one file per line, parents before children, hard
// links resolved once every line is read. A last line without a newline
// is accepted.
func ParseDump(r io.Reader) (*Node, error) { return parseDump(r, false) }

// ParseDumpStrict is ParseDump with mkcomposefs's CFS_PARSE_STRICT
// checks: a trailing newline is required, a symlink's size must be its
// target's length, and non-devices must have rdev 0.
func ParseDumpStrict(r io.Reader) (*Node, error) { return parseDump(r, true) }

// maxXattrField caps the xattr part of a line, as mkcomposefs does.
const maxXattrField = 65535

type dumpParser struct {
	strict bool
	root   *Node
	links  []pendingLink
}

type pendingLink struct {
	node   *Node
	target string
	line   int
}

func parseDump(r io.Reader, strict bool) (*Node, error) {
	p := &dumpParser{strict: strict}
	br := bufio.NewReaderSize(r, 1<<16)
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read dump: %w", err)
		}
		if len(line) == 0 && err != nil {
			break
		}
		terminated := line[len(line)-1] == '\n'
		if terminated {
			line = line[:len(line)-1]
		} else if strict {
			return nil, fmt.Errorf("dump line %d: missing trailing newline: %w", lineNo, errdefs.ErrInvalid)
		}
		if perr := p.line(line); perr != nil {
			return nil, fmt.Errorf("dump line %d: %w", lineNo, perr)
		}
		if err != nil {
			break
		}
	}
	if p.root == nil {
		return nil, fmt.Errorf("no files in dump: %w", errdefs.ErrInvalid)
	}
	if err := p.resolveLinks(); err != nil {
		return nil, err
	}
	return p.root, nil
}

// line parses one line: eleven space-separated fields, then xattrs.
func (p *dumpParser) line(line []byte) error {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		return fmt.Errorf("embedded NUL at position %d: %w", i, errdefs.ErrInvalid)
	}
	var f [11][]byte
	rest := line
	for i := range f {
		f[i], rest = splitField(rest)
	}
	path, err := unescape(f[0])
	if err != nil {
		return fmt.Errorf("path: %w", err)
	}
	if len(path) == 0 {
		return fmt.Errorf("empty path: %w", errdefs.ErrInvalid)
	}
	isLink := len(f[2]) > 0 && f[2][0] == '@'
	if isLink {
		f[2] = f[2][1:]
	}
	mode64, err := parseUint(f[2], 8)
	if err != nil {
		return fmt.Errorf("%s: mode: %w", path, err)
	}
	n := &Node{Mode: uint32(mode64), Nlink: 1}
	if !validMode(n.Mode) {
		return fmt.Errorf("%s: invalid mode %o: %w", path, n.Mode, errdefs.ErrInvalid)
	}
	if err := p.add(string(path), n); err != nil {
		return err
	}
	if isLink {
		if n.Type() == TypeDir {
			return fmt.Errorf("%s: directories can't be hard links: %w", path, errdefs.ErrInvalid)
		}
		target, ok, err := unescapeOptional(f[8])
		if err != nil {
			return fmt.Errorf("%s: hard link target: %w", path, err)
		}
		if !ok {
			return fmt.Errorf("%s: hard link without target: %w", path, errdefs.ErrInvalid)
		}
		p.links = append(p.links, pendingLink{node: n, target: string(target)})
		return nil
	}
	return p.fill(string(path), n, f, rest)
}

// fill sets the attributes of a non-hardlink node from its fields.
func (p *dumpParser) fill(path string, n *Node, f [11][]byte, xattrs []byte) error {
	var nums [5]uint64
	for i, fi := range []int{1, 3, 4, 5, 6} {
		v, err := parseUint(f[fi], 10)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", path, [...]string{"size", "nlink", "uid", "gid", "rdev"}[i], err)
		}
		nums[i] = v
	}
	size, rdev := nums[0], nums[4]
	n.Nlink, n.UID, n.GID = uint32(nums[1]), uint32(nums[2]), uint32(nums[3])
	sec, nsec, ok := bytes.Cut(f[7], []byte("."))
	if !ok {
		return fmt.Errorf("%s: mtime %q is not SEC.NSEC: %w", path, f[7], errdefs.ErrInvalid)
	}
	s, err := parseUint(sec, 10)
	if err != nil {
		return fmt.Errorf("%s: mtime: %w", path, err)
	}
	ns, err := parseUint(nsec, 10)
	if err != nil {
		return fmt.Errorf("%s: mtime: %w", path, err)
	}
	n.MtimeSec, n.MtimeNsec = int64(s), uint32(ns)
	payload, hasPayload, err := unescapeOptional(f[8])
	if err != nil {
		return fmt.Errorf("%s: payload: %w", path, err)
	}
	content, hasContent, err := unescapeOptional(f[9])
	if err != nil {
		return fmt.Errorf("%s: content: %w", path, err)
	}
	if hasContent && uint64(len(content)) != size {
		return fmt.Errorf("%s: content of %d bytes but size %d: %w", path, len(content), size, errdefs.ErrInvalid)
	}
	digest, hasDigest, err := unescapeOptional(f[10])
	if err != nil {
		return fmt.Errorf("%s: digest: %w", path, err)
	}
	typ := n.Type()
	if typ == TypeChar || typ == TypeBlock {
		n.Rdev = uint32(rdev)
	} else if p.strict && rdev != 0 {
		return fmt.Errorf("%s: non-zero rdev on a non-device: %w", path, errdefs.ErrInvalid)
	}
	if hasPayload {
		if len(payload) > MaxPayloadLen {
			return fmt.Errorf("%s: payload longer than %d bytes: %w", path, MaxPayloadLen, errdefs.ErrInvalid)
		}
		if bytes.IndexByte(payload, 0) >= 0 {
			return fmt.Errorf("%s: payload contains NUL: %w", path, errdefs.ErrInvalid)
		}
		n.SetPayload(string(payload))
	}
	if typ == TypeSymlink {
		if len(n.Payload) == 0 {
			return fmt.Errorf("%s: symlink without target: %w", path, errdefs.ErrInvalid)
		}
		n.Size = uint64(len(n.Payload))
		if p.strict && size != n.Size {
			return fmt.Errorf("%s: symlink size %d is not its target's length %d: %w", path, size, n.Size, errdefs.ErrInvalid)
		}
		if p.strict && len(content) > 0 {
			return fmt.Errorf("%s: symlink with content: %w", path, errdefs.ErrInvalid)
		}
	} else {
		n.Size = size
		if len(content) > MaxInlineContent {
			return fmt.Errorf("%s: inline content of %d bytes exceeds %d: %w", path, len(content), MaxInlineContent, errdefs.ErrInvalid)
		}
		if len(content) > 0 {
			n.Content = content
		}
	}
	if hasDigest && len(digest) > 0 {
		var d [32]byte
		if len(digest) != 64 {
			return fmt.Errorf("%s: digest %q is not 64 hex digits: %w", path, digest, errdefs.ErrInvalid)
		}
		if _, err := hex.Decode(d[:], digest); err != nil {
			return fmt.Errorf("%s: digest %q: %w", path, digest, errdefs.ErrInvalid)
		}
		n.Digest = &d
	}
	if len(xattrs) > maxXattrField {
		return fmt.Errorf("%s: too many xattrs: %w", path, errdefs.ErrInvalid)
	}
	budget := &wnode{path: path}
	for len(xattrs) > 0 {
		var x []byte
		x, xattrs = splitField(xattrs)
		k, v, ok := bytes.Cut(x, []byte("="))
		if !ok {
			return fmt.Errorf("%s: xattr %q without '=': %w", path, x, errdefs.ErrInvalid)
		}
		key, err := unescape(k)
		if err != nil {
			return fmt.Errorf("%s: xattr key: %w", path, err)
		}
		value, err := unescape(v)
		if err != nil {
			return fmt.Errorf("%s: xattr %q value: %w", path, key, err)
		}
		if err := budget.setXattr(string(key), value); err != nil {
			return err
		}
		n.SetXattr(string(key), value)
	}
	return nil
}

// add links n into the tree at path. Like mkcomposefs, runs of slashes
// separate components and a leading slash is optional.
func (p *dumpParser) add(path string, n *Node) error {
	if path == "/" {
		if n.Type() != TypeDir {
			return fmt.Errorf("root must be a directory: %w", errdefs.ErrInvalid)
		}
		if p.root != nil {
			return fmt.Errorf("second root: %w", errdefs.ErrInvalid)
		}
		p.root = n
		return nil
	}
	if p.root == nil {
		return fmt.Errorf("%s: root not yet defined: %w", path, errdefs.ErrInvalid)
	}
	dir, name := p.root, strings.TrimLeft(path, "/")
	for {
		i := strings.IndexByte(name, '/')
		if i < 0 {
			break
		}
		child := dir.Lookup(name[:i])
		if child == nil {
			return fmt.Errorf("%s: parent directory missing: %w", path, errdefs.ErrInvalid)
		}
		dir, name = child, strings.TrimLeft(name[i:], "/")
	}
	if dir.LinkTo != nil || dir.Type() != TypeDir {
		return fmt.Errorf("%s: parent is not a directory: %w", path, errdefs.ErrInvalid)
	}
	n.Name = name
	if err := dir.AddChild(n); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// resolveLinks points every hard link at its target. Targets keep the
// link count the dump gave them.
func (p *dumpParser) resolveLinks() error {
	for _, l := range p.links {
		t := p.lookup(l.target)
		if t == nil {
			return fmt.Errorf("hard link target %s not found: %w", l.target, errdefs.ErrInvalid)
		}
		if t == l.node {
			return fmt.Errorf("hard link %s to itself: %w", l.target, errdefs.ErrInvalid)
		}
		l.node.LinkTo = t
	}
	for _, l := range p.links {
		t, seen := l.node, 0
		for t.LinkTo != nil {
			t = t.LinkTo
			if seen++; seen > len(p.links) {
				return fmt.Errorf("hard link loop through %s: %w", l.target, errdefs.ErrInvalid)
			}
		}
		if t.Type() == TypeDir {
			return fmt.Errorf("hard link to directory %s: %w", l.target, errdefs.ErrInvalid)
		}
	}
	return nil
}

func (p *dumpParser) lookup(path string) *Node {
	n := p.root
	for _, c := range strings.Split(path, "/") {
		if c == "" {
			continue
		}
		if n = n.Lookup(c); n == nil {
			return nil
		}
	}
	return n
}

// splitField returns the bytes up to the next space and the rest after it.
func splitField(b []byte) (field, rest []byte) {
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}
