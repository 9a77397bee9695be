package delta

import (
	"encoding/base64"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
)

// ID names a static delta: from From (zero for a scratch delta) to To.
// It has the same fields as summary.Delta and converts to it.
type ID struct {
	From, To object.Checksum
}

// ParseID parses a delta name as the summary, the delta indexes and the
// CLI spell it: "FROM-TO" or "TO", in hex (_ostree_parse_delta_name).
// Errors are libostree's: "Invalid rev X" or "Invalid character 'N' in
// rev 'X'".
func ParseID(s string) (ID, error) {
	first, second, pair := strings.Cut(s, "-")
	a, err := parseRev(first)
	if err != nil {
		return ID{}, err
	}
	if !pair {
		return ID{To: a}, nil
	}
	b, err := parseRev(second)
	if err != nil {
		return ID{}, err
	}
	return ID{From: a, To: b}, nil
}

// parseRev is ostree_validate_checksum_string with its messages.
func parseRev(s string) (object.Checksum, error) {
	if len(s) != 64 {
		q := s
		if len(q) > 64 {
			q = q[:64]
		}
		q = strings.ReplaceAll(strings.ToValidUTF8(q, "\uFFFD"), "\n", " ")
		return object.Checksum{}, fmt.Errorf("Invalid rev %s: %w", q, errdefs.ErrInvalid)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return object.Checksum{}, fmt.Errorf("Invalid character '%d' in rev '%s': %w", c, s, errdefs.ErrInvalid)
		}
	}
	return object.ParseChecksum(s)
}

// IsScratch reports whether the delta starts from nothing.
func (id ID) IsScratch() bool { return id.From.IsZero() }

// String is the delta's name: "FROM-TO" or "TO", in hex.
func (id ID) String() string {
	if id.From.IsZero() {
		return id.To.String()
	}
	return id.From.String() + "-" + id.To.String()
}

// Dir is the delta's directory relative to the repository, with forward
// slashes: deltas/XX/YYYY for a scratch delta, deltas/FF/FFFF-TTTT
// otherwise (F and T the modified base64 of the checksums).
func (id ID) Dir() string {
	to := MBase64(id.To)
	if id.From.IsZero() {
		return "deltas/" + to[:2] + "/" + to[2:]
	}
	from := MBase64(id.From)
	return "deltas/" + from[:2] + "/" + from[2:] + "-" + to
}

// SuperblockPath is Dir + "/superblock".
func (id ID) SuperblockPath() string { return path.Join(id.Dir(), "superblock") }

// PartPath is the path of part i relative to the repository. It is also
// the superblock metadata key under which an inline part is stored.
func (id ID) PartPath(i int) string { return path.Join(id.Dir(), strconv.Itoa(i)) }

// CommitMetaKey is the superblock metadata key holding the TO commit's
// detached metadata.
func (id ID) CommitMetaKey() string { return path.Join(id.Dir(), "commitmeta") }

// IndexPath is the delta index file for deltas to commit to, relative to
// the repository: delta-indexes/XX/YYYY.index.
func IndexPath(to object.Checksum) string {
	s := MBase64(to)
	return "delta-indexes/" + s[:2] + "/" + s[2:] + ".index"
}

// MBase64 is ostree's "modified base64" of a checksum: standard base64
// with "/" replaced by "_" and the trailing "=" dropped (43 characters).
func MBase64(c object.Checksum) string {
	s := base64.StdEncoding.EncodeToString(c[:])
	return strings.ReplaceAll(strings.TrimSuffix(s, "="), "/", "_")
}

// ParseMBase64 decodes a 43-character modified base64 checksum.
func ParseMBase64(s string) (object.Checksum, error) {
	var c object.Checksum
	if len(s) != 43 {
		return c, fmt.Errorf("modified base64 checksum %q: %w", s, errdefs.ErrInvalid)
	}
	b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(s, "_", "/") + "=")
	if err != nil || len(b) != 32 {
		return c, fmt.Errorf("modified base64 checksum %q: %w", s, errdefs.ErrInvalid)
	}
	copy(c[:], b)
	return c, nil
}

// IDFromDir parses the two path elements below deltas/ ("XX" and
// "YYYY" or "YYYY-ZZZZ") back into an ID, as ostree static-delta list
// does.
func IDFromDir(outer, inner string) (ID, error) {
	name := outer + inner
	if from, to, pair := strings.Cut(name, "-"); pair {
		f, err := ParseMBase64(from)
		if err != nil {
			return ID{}, err
		}
		t, err := ParseMBase64(to)
		if err != nil {
			return ID{}, err
		}
		return ID{From: f, To: t}, nil
	}
	t, err := ParseMBase64(name)
	if err != nil {
		return ID{}, err
	}
	return ID{To: t}, nil
}
