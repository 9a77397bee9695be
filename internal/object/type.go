package object

import "fmt"

// Type is an object type, numbered as in libostree.
type Type uint8

// Object types.
const (
	TypeFile            Type = 1
	TypeDirTree         Type = 2
	TypeDirMeta         Type = 3
	TypeCommit          Type = 4
	TypeTombstoneCommit Type = 5
	TypeCommitMeta      Type = 6
	TypePayloadLink     Type = 7
	TypeFileXattrs      Type = 8
	TypeFileXattrsLink  Type = 9
)

var typeNames = map[Type]string{
	TypeFile: "file", TypeDirTree: "dirtree", TypeDirMeta: "dirmeta", TypeCommit: "commit",
	TypeTombstoneCommit: "tombstone-commit", TypeCommitMeta: "commitmeta",
	TypePayloadLink: "payload-link", TypeFileXattrs: "file-xattrs", TypeFileXattrsLink: "file-xattrs-link",
}

// String returns the name libostree uses, which is also the loose suffix.
func (t Type) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// ParseType parses an object type name.
func ParseType(s string) (Type, error) {
	for t, n := range typeNames {
		if n == s {
			return t, nil
		}
	}
	return 0, fmt.Errorf("invalid object type %q", s)
}

// IsMeta reports whether t is a metadata object (dirtree to commitmeta).
func (t Type) IsMeta() bool { return t >= TypeDirTree && t <= TypeCommitMeta }

// Name is an object's identity: checksum plus type.
type Name struct {
	Checksum Checksum
	Type     Type
}

// String formats the name as libostree does: CHECKSUM.TYPE.
func (n Name) String() string { return n.Checksum.String() + "." + n.Type.String() }

// ParseName parses CHECKSUM.TYPE.
func ParseName(s string) (Name, error) {
	if len(s) < 66 || s[64] != '.' {
		return Name{}, fmt.Errorf("invalid object name %q", s)
	}
	c, err := ParseChecksum(s[:64])
	if err != nil {
		return Name{}, err
	}
	t, err := ParseType(s[65:])
	if err != nil {
		return Name{}, err
	}
	return Name{c, t}, nil
}

// LoosePath is the object's path relative to the repo's objects/ dir.
// archive selects the compressed .filez suffix for content objects.
func LoosePath(c Checksum, t Type, archive bool) string {
	h := c.String()
	suffix := t.String()
	if t == TypeFile && archive {
		suffix = "filez"
	}
	return h[:2] + "/" + h[2:] + "." + suffix
}
