package composefs

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
)

// File type bits of Node.Mode (the S_IF* values of Linux).
const (
	TypeMask    = 0o170000
	TypeSocket  = 0o140000
	TypeSymlink = 0o120000
	TypeRegular = 0o100000
	TypeBlock   = 0o060000
	TypeDir     = 0o040000
	TypeChar    = 0o020000
	TypeFifo    = 0o010000
)

// Limits of the format, as libcomposefs enforces them.
const (
	// MaxNameLen is the longest file name.
	MaxNameLen = 255
	// MaxPayloadLen is one less than PATH_MAX: the longest symlink target
	// or backing path.
	MaxPayloadLen = 4095
	// MaxInlineContent is the largest inline file content.
	MaxInlineContent = 5000
	// RecommendedInlineContent is the size up to which FromDir inlines
	// files, as mkcomposefs does.
	RecommendedInlineContent = 64
	// MaxXattrKeyLen is XATTR_NAME_MAX.
	MaxXattrKeyLen = 255
	// MaxXattrValueLen is the largest xattr value.
	MaxXattrValueLen = 65535
	// maxXattrBudget caps one node's xattrs (libcomposefs counts each
	// entry as 7+len(key)+len(value) bytes plus a 12-byte header).
	maxXattrBudget = 65535 / 2
)

// Xattr is one extended attribute. Key and Value are raw bytes.
type Xattr struct {
	Key   string
	Value []byte
}

// Node is one file of a composefs tree. A node with LinkTo set is a hard
// link: only its name counts, everything else is LinkTo's.
type Node struct {
	Name  string
	Mode  uint32 // permission bits and file type (TypeMask)
	Nlink uint32 // ignored for directories: images store 2 + subdirectories
	UID   uint32
	GID   uint32
	Rdev  uint32 // device number (glibc makedev encoding) of devices
	Size  uint64
	// MtimeSec and MtimeNsec are the modification time.
	MtimeSec  int64
	MtimeNsec uint32
	// Payload is the symlink target, or for a regular file without inline
	// content the path of its backing file relative to the data layer
	// (written as the overlay redirect "/"+Payload). HasPayload tells an
	// empty payload from none (the dump format distinguishes them).
	Payload    string
	HasPayload bool
	// Content is a regular file's inline content (len == Size), or nil.
	Content []byte
	// Digest is the fs-verity digest of a regular file's content.
	Digest *[32]byte
	// Xattrs are the extended attributes, in no particular order.
	Xattrs   []Xattr
	LinkTo   *Node
	Children []*Node // sorted by name (bytewise)
}

// Type is the file type bits of the mode.
func (n *Node) Type() uint32 { return n.Mode & TypeMask }

// IsDir reports whether n is a directory (and not a hard link).
func (n *Node) IsDir() bool { return n.LinkTo == nil && n.Type() == TypeDir }

// SetPayload sets the payload.
func (n *Node) SetPayload(p string) { n.Payload, n.HasPayload = p, true }

// Lookup returns the child called name, or nil.
func (n *Node) Lookup(name string) *Node {
	i := sort.Search(len(n.Children), func(i int) bool { return n.Children[i].Name >= name })
	if i < len(n.Children) && n.Children[i].Name == name {
		return n.Children[i]
	}
	return nil
}

// AddChild inserts c under its name, keeping the children sorted. It
// refuses names that are empty, ".", "..", contain "/" or NUL, or exist.
func (n *Node) AddChild(c *Node) error {
	if n.LinkTo != nil || n.Type() != TypeDir {
		return fmt.Errorf("add %q: parent is not a directory: %w", c.Name, errdefs.ErrInvalid)
	}
	if err := checkName(c.Name); err != nil {
		return err
	}
	i := sort.Search(len(n.Children), func(i int) bool { return n.Children[i].Name >= c.Name })
	if i < len(n.Children) && n.Children[i].Name == c.Name {
		return fmt.Errorf("add %q: %w", c.Name, errdefs.ErrExists)
	}
	n.Children = append(n.Children, nil)
	copy(n.Children[i+1:], n.Children[i:])
	n.Children[i] = c
	return nil
}

func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("invalid file name %q: %w", name, errdefs.ErrInvalid)
	case len(name) > MaxNameLen:
		return fmt.Errorf("file name %.32q... longer than %d bytes: %w", name, MaxNameLen, errdefs.ErrInvalid)
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("invalid file name %q: %w", name, errdefs.ErrInvalid)
	}
	return nil
}

// Xattr returns the value of the xattr key and whether it is set.
func (n *Node) Xattr(key string) ([]byte, bool) {
	for _, x := range n.Xattrs {
		if x.Key == key {
			return x.Value, true
		}
	}
	return nil, false
}

// SetXattr sets key to value, replacing an existing value. Like
// libcomposefs it removes the old entry by moving the last one into its
// place and appends the new one, so the order matches composefs-info's.
func (n *Node) SetXattr(key string, value []byte) {
	for i, x := range n.Xattrs {
		if x.Key == key {
			last := len(n.Xattrs) - 1
			n.Xattrs[i] = n.Xattrs[last]
			n.Xattrs = n.Xattrs[:last]
			break
		}
	}
	n.Xattrs = append(n.Xattrs, Xattr{Key: key, Value: value})
}

// checkXattr validates one key/value pair.
func checkXattr(key string, value []byte) error {
	switch {
	case key == "" || len(key) > MaxXattrKeyLen:
		return fmt.Errorf("xattr key %.32q: length %d not in 1..%d: %w", key, len(key), MaxXattrKeyLen, errdefs.ErrInvalid)
	case strings.IndexByte(key, 0) >= 0:
		return fmt.Errorf("xattr key %q contains NUL: %w", key, errdefs.ErrInvalid)
	case len(value) > MaxXattrValueLen:
		return fmt.Errorf("xattr %q: value of %d bytes is longer than %d: %w", key, len(value), MaxXattrValueLen, errdefs.ErrInvalid)
	}
	return nil
}

// xattrBudget is what libcomposefs charges a node for its xattrs.
func xattrBudget(xs []Xattr) int {
	if len(xs) == 0 {
		return 0
	}
	n := 12
	for _, x := range xs {
		n += 7 + len(x.Key) + len(x.Value)
	}
	return n
}

// Walk calls fn for n and every node below it in dump order (depth
// first, children by name), with each node's absolute path. Hard links
// are visited but not descended into.
func Walk(root *Node, fn func(path string, n *Node) error) error {
	return walk("", root, fn)
}

func walk(path string, n *Node, fn func(string, *Node) error) error {
	p := path
	if p == "" {
		p = "/"
	}
	if err := fn(p, n); err != nil {
		return err
	}
	if n.LinkTo != nil {
		return nil
	}
	for _, c := range n.Children {
		if err := walk(path+"/"+c.Name, c, fn); err != nil {
			return err
		}
	}
	return nil
}
