package commit

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// FileInfo is what a commit records about a file before it becomes an
// object: type and permission bits, ownership, size (regular files) and
// symlink target. Dev and Ino identify the source for the devino cache.
type FileInfo struct {
	Mode     uint32 // st_mode, including the file type bits
	UID, GID uint32
	Size     int64
	Target   string
	Dev, Ino uint64
}

func (fi *FileInfo) isDir() bool  { return fi.Mode&object.ModeFmt == object.ModeDir }
func (fi *FileInfo) isReg() bool  { return fi.Mode&object.ModeFmt == object.ModeReg }
func (fi *FileInfo) isLink() bool { return fi.Mode&object.ModeFmt == object.ModeLink }

// equal compares the attributes libostree compares
// (_ostree_gfileinfo_equal): ownership, mode and size.
func (fi *FileInfo) equal(o *FileInfo) bool {
	return fi.UID == o.UID && fi.GID == o.GID && fi.Mode == o.Mode && fi.Size == o.Size
}

func (fi *FileInfo) header(x object.Xattrs) *object.FileHeader {
	return &object.FileHeader{UID: fi.UID, GID: fi.GID, Mode: fi.Mode, Target: fi.Target, Xattrs: x}
}

// Modifier changes files as they are committed (libostree's
// OstreeRepoCommitModifier with the CLI's filter). A nil *Modifier means
// no modifier at all, which lets trees taken from commits be reused
// without being rewritten.
type Modifier struct {
	OwnerUID, OwnerGID int // -1 keeps the source's
	// CanonicalPermissions sets uid/gid 0, masks modes with 0755 and drops
	// xattrs, as bare-user-only repos require.
	CanonicalPermissions bool
	ROExecutables        bool // clear write bits of executable files
	SkipXattrs           bool
	Consume              bool // delete the source directory afterwards
	DevinoCanonical      bool // trust hard links into the repo blindly
	GenerateSizes        bool // record ostree.sizes (archive repos only)

	// ModeAdds ("+MODE /path" or "MODE /path" in a statoverride file) ORs
	// bits into the mode; each entry matches once. ModeOverrides
	// ("=MODE /path") replace the permission bits.
	ModeAdds      map[string]uint32
	ModeOverrides map[string]uint32
	// SkipList holds paths (absolute, the commit root being /) to leave
	// out; each matches once.
	SkipList map[string]bool
}

// NewModifier returns a modifier that changes nothing.
func NewModifier() *Modifier { return &Modifier{OwnerUID: -1, OwnerGID: -1} }

// apply runs the filter and the permission canonicalization on fi for
// the file at path (absolute within the commit). It reports whether the
// entry is to be skipped.
func (m *Modifier) apply(mode repo.Mode, path string, fi FileInfo) (FileInfo, bool) {
	canonical := mode == repo.ModeBareUserOnly || (m != nil && m.CanonicalPermissions)
	if m == nil && !canonical {
		return fi, false
	}
	skip := false
	if m != nil {
		if m.OwnerUID >= 0 {
			fi.UID = uint32(m.OwnerUID)
		}
		if m.OwnerGID >= 0 {
			fi.GID = uint32(m.OwnerGID)
		}
		md := fi.Mode
		if fi.isReg() && m.ROExecutables && md&0o111 != 0 {
			md &^= 0o222
			fi.Mode = md
		}
		if add, ok := m.ModeAdds[path]; ok {
			fi.Mode = md | add
			delete(m.ModeAdds, path)
		} else if ov, ok := m.ModeOverrides[path]; ok {
			fi.Mode = fi.Mode&object.ModeFmt | ov
		}
		if m.SkipList[path] {
			delete(m.SkipList, path)
			skip = true
		}
	}
	if canonical {
		switch {
		case fi.isReg():
			fi.Mode &= object.ModeReg | 0o755
		case fi.isDir():
			fi.Mode &= object.ModeDir | 0o755
		}
		fi.UID, fi.GID = 0, 0
	}
	return fi, skip
}

// skipXattrs reports whether the xattrs of source files are ignored.
func (m *Modifier) skipXattrs(mode repo.Mode) bool {
	return mode == repo.ModeBareUserOnly || (m != nil && (m.SkipXattrs || m.CanonicalPermissions))
}

// UnmatchedError reports statoverride or skip-list entries that matched
// no file. The CLI prints each path before the message.
type UnmatchedError struct {
	What  string // "statoverride" or "skip-list"
	Paths []string
}

func (e *UnmatchedError) Error() string { return "Unmatched " + e.What + " paths" }

// checkUnmatched returns an UnmatchedError for leftover entries.
func (m *Modifier) checkUnmatched() error {
	if m == nil {
		return nil
	}
	if len(m.ModeAdds) > 0 {
		return &UnmatchedError{What: "statoverride", Paths: sortedKeys(m.ModeAdds)}
	}
	if len(m.SkipList) > 0 {
		return &UnmatchedError{What: "skip-list", Paths: sortedKeys(m.SkipList)}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// readLines reads a file's non-empty lines as libostree does.
func readLines(ctx context.Context, path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range bytes.Split(b, []byte("\n")) {
		if len(l) > 0 {
			out = append(out, string(l))
		}
	}
	return out, nil
}

// LoadStatOverride reads a statoverride file into m: lines "MODE /path"
// or "+MODE /path" add bits, "=MODE /path" replaces the permissions;
// MODE is a number as strtod reads it (decimal, or 0x hex).
func (m *Modifier) LoadStatOverride(ctx context.Context, path string) error {
	lines, err := readLines(ctx, path)
	if err != nil {
		return err
	}
	if m.ModeAdds == nil {
		m.ModeAdds = map[string]uint32{}
	}
	if m.ModeOverrides == nil {
		m.ModeOverrides = map[string]uint32{}
	}
	for _, line := range lines {
		sp := strings.IndexByte(line, ' ')
		if sp < 0 {
			return fmt.Errorf("Malformed statoverride file (no space found)")
		}
		fn := line[sp+1:]
		if strings.HasPrefix(line, "=") {
			m.ModeOverrides[fn] = strtodMode(line[1:])
		} else {
			m.ModeAdds[fn] = strtodMode(line)
		}
	}
	return nil
}

// LoadSkipList reads a skip-list file (one absolute path per line).
func (m *Modifier) LoadSkipList(ctx context.Context, path string) error {
	lines, err := readLines(ctx, path)
	if err != nil {
		return err
	}
	if m.SkipList == nil {
		m.SkipList = map[string]bool{}
	}
	for _, l := range lines {
		m.SkipList[l] = true
	}
	return nil
}

// strtodMode converts the longest numeric prefix of s the way
// (guint32)(gint32)g_ascii_strtod(s) does; no number gives 0.
func strtodMode(s string) uint32 {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	sign := ""
	if s != "" && (s[0] == '+' || s[0] == '-') {
		sign, s = s[:1], s[1:]
	}
	var f float64
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		end := 2
		for end < len(s) && strings.IndexByte("0123456789abcdefABCDEF", s[end]) >= 0 {
			end++
		}
		n, _ := strconv.ParseUint(s[2:end], 16, 64)
		f = float64(n)
	} else {
		end := 0
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
		}
		if end < len(s) && s[end] == '.' {
			end++
			for end < len(s) && s[end] >= '0' && s[end] <= '9' {
				end++
			}
		}
		if end < len(s) && (s[end] == 'e' || s[end] == 'E') {
			e := end + 1
			if e < len(s) && (s[e] == '+' || s[e] == '-') {
				e++
			}
			if e < len(s) && s[e] >= '0' && s[e] <= '9' {
				for e < len(s) && s[e] >= '0' && s[e] <= '9' {
					e++
				}
				end = e
			}
		}
		f, _ = strconv.ParseFloat(s[:end], 64)
	}
	if sign == "-" {
		f = -f
	}
	if math.IsNaN(f) || f > math.MaxInt32 || f < math.MinInt32 {
		return 0x80000000 // what x86 produces for out-of-range conversions
	}
	return uint32(int32(f))
}
