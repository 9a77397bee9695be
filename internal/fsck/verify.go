package fsck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// ObjectStore is what verifying one object reads. *repo.Repo implements
// it; a missing object is an error wrapping errdefs.ErrNotFound.
type ObjectStore interface {
	LoadMetadata(ctx context.Context, c object.Checksum, t object.Type) ([]byte, error)
	LoadFile(ctx context.Context, c object.Checksum) (*object.FileHeader, io.ReadCloser, int64, error)
}

var _ ObjectStore = (*repo.Repo)(nil)

var (
	commitType  = gvariant.MustType("(a{sv}aya(say)sstayay)")
	dirTreeType = gvariant.MustType("(a(say)a(sayay))")
	dirMetaType = gvariant.MustType("(uuua(ayay))")
)

// VerifyObject checks one object: metadata must hash to its name and be
// structurally valid; content objects are rehashed from their stored
// form. A missing object gives an error wrapping errdefs.ErrNotFound;
// any other problem an error wrapping errdefs.ErrCorrupt whose text is
// the reference's ("fsck content object X: Corrupted file object; …").
func VerifyObject(ctx context.Context, s ObjectStore, n object.Name) error {
	if n.Type.IsMeta() {
		return verifyMetadata(ctx, s, n)
	}
	return verifyContent(ctx, s, n.Checksum)
}

// corruptError carries a reference-format message and classifies as
// errdefs.ErrCorrupt.
type corruptError struct{ msg string }

func (e *corruptError) Error() string { return e.msg }
func (e *corruptError) Unwrap() error { return errdefs.ErrCorrupt }

func corruptf(format string, args ...any) error {
	return &corruptError{fmt.Sprintf(format, args...)}
}

func checksumMismatch(t object.Type, expected, actual object.Checksum) string {
	return fmt.Sprintf("Corrupted %s object; checksum expected='%s' actual='%s'", t, expected, actual)
}

func verifyMetadata(ctx context.Context, s ObjectStore, n object.Name) error {
	b, err := s.LoadMetadata(ctx, n.Checksum, n.Type)
	if err != nil {
		if errors.Is(err, errdefs.ErrNotFound) {
			return err
		}
		return corruptf("fsck %s: %v", n, err)
	}
	return ValidateMetadata(n, b)
}

// ValidateMetadata checks the bytes b of metadata object n: checksum,
// then structure, with VerifyObject's messages.
func ValidateMetadata(n object.Name, b []byte) error {
	prefix := "fsck " + n.String() + ": "
	if got := object.Sum(b); got != n.Checksum {
		return corruptf("%s%s", prefix, checksumMismatch(n.Type, n.Checksum, got))
	}
	if err := validateStructure(n.Type, b); err != nil {
		return corruptf("%s%s: %v", prefix, n, err)
	}
	return nil
}

// validateStructure applies libostree's ostree_validate_structureof_*
// checks, with their messages.
func validateStructure(t object.Type, b []byte) error {
	switch t {
	case object.TypeCommit:
		v, err := gvariant.Unmarshal(commitType, b)
		if err != nil {
			return errors.New("Not normal form")
		}
		f := v.([]any)
		for _, e := range f[0].([]any) {
			if k, _ := e.(gvariant.DictEntry).Key.(string); k == "" {
				return errors.New("Empty metadata key")
			}
		}
		if p := f[1].([]byte); len(p) > 0 {
			if err := checkCsum(p); err != nil {
				return err
			}
		}
		if err := checkCsum(f[6].([]byte)); err != nil {
			return err
		}
		return checkCsum(f[7].([]byte))
	case object.TypeDirTree:
		v, err := gvariant.Unmarshal(dirTreeType, b)
		if err != nil {
			return errors.New("Not normal form")
		}
		f := v.([]any)
		files := map[string]bool{}
		for _, e := range f[0].([]any) {
			p := e.([]any)
			if err := validateFilename(p[0].(string)); err != nil {
				return err
			}
			if err := checkCsum(p[1].([]byte)); err != nil {
				return err
			}
			files[p[0].(string)] = true
		}
		for _, e := range f[1].([]any) {
			p := e.([]any)
			if err := validateFilename(p[0].(string)); err != nil {
				return err
			}
			// Stricter than libostree's fsck, which passes this tree
			// that no checkout can write.
			if files[p[0].(string)] {
				return fmt.Errorf("Invalid dirtree: %q is both a file and a directory", p[0].(string))
			}
			if err := checkCsum(p[1].([]byte)); err != nil {
				return err
			}
			if err := checkCsum(p[2].([]byte)); err != nil {
				return err
			}
		}
	case object.TypeDirMeta:
		v, err := gvariant.Unmarshal(dirMetaType, b)
		if err != nil {
			return errors.New("Not normal form")
		}
		mode := be32(v.([]any)[2].(uint32))
		if mode&object.ModeFmt != object.ModeDir {
			return fmt.Errorf("Invalid directory metadata mode %d; not a directory", mode)
		}
		return validatePerms(mode)
	}
	return nil
}

func be32(x uint32) uint32 { return x>>24 | x>>8&0xff00 | x<<8&0xff0000 | x<<24 }

func checkCsum(b []byte) error {
	if len(b) != 32 {
		return fmt.Errorf("Invalid checksum of length %d expected 32", len(b))
	}
	return nil
}

// validateFilename is libostree's ot_util_filename_validate, plus the
// empty name.
func validateFilename(name string) error {
	switch {
	case name == "":
		// libostree's fsck lets this pass; its checkout then fails.
		return errors.New("Invalid empty filename")
	case name == ".":
		return errors.New("Invalid self-referential filename '.'")
	case name == "..":
		return errors.New("Invalid path uplink filename '..'")
	case strings.IndexByte(name, '/') >= 0:
		return fmt.Errorf("Invalid / in filename %s", name)
	case !utf8.ValidString(name):
		return fmt.Errorf("Invalid UTF-8 in filename %s", name)
	}
	return nil
}

func validatePerms(mode uint32) error {
	if mode&^uint32(object.ModeFmt|object.ModePerm) != 0 {
		return fmt.Errorf("Invalid mode %d; invalid bits in mode", mode)
	}
	return nil
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

func verifyContent(ctx context.Context, s ObjectStore, c object.Checksum) error {
	if r, ok := s.(*repo.Repo); ok {
		if err := verifyLocalContent(ctx, r, c); err != errFallback {
			return err
		}
	}
	prefix := "fsck content object " + c.String() + ": "
	h, rc, _, err := s.LoadFile(ctx, c)
	if err != nil {
		if errors.Is(err, errdefs.ErrNotFound) {
			return err
		}
		return corruptf("%s%s", prefix, loadFileDetail(err, c))
	}
	defer rc.Close()
	return hashContent(prefix, c, h, rc)
}

// loadFileDetail strips the "load file CHECKSUM: " context repo adds,
// which the prefix already carries.
func loadFileDetail(err error, c object.Checksum) string {
	return strings.TrimPrefix(err.Error(), "load file "+c.String()+": ")
}
