package pull

import (
	"context"
	"errors"
	"io"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// Ref is a ref a source offers.
type Ref struct {
	Name     string
	Checksum object.Checksum
	// CollectionID is the ref's collection, when the source knows it.
	CollectionID string
}

// Source is where a pull reads refs and objects. Implementations must be
// safe for concurrent use. A missing ref or object is an error wrapping
// errdefs.ErrNotFound.
type Source interface {
	// ListRefs lists the refs that a pull naming no refs copies.
	ListRefs(ctx context.Context) ([]Ref, error)
	// ResolveRef returns the commit a ref names.
	ResolveRef(ctx context.Context, name string) (object.Checksum, error)
	// CollectionID is the source's collection ID, or "".
	CollectionID() string
	// LoadMetadata returns the bytes of a metadata object; the puller
	// verifies them against c.
	LoadMetadata(ctx context.Context, c object.Checksum, t object.Type) ([]byte, error)
	// LoadDetachedMetadata returns a commit's serialized detached
	// metadata, or nil when it has none.
	LoadDetachedMetadata(ctx context.Context, c object.Checksum) ([]byte, error)
	// LoadFile opens a content object: header, payload and payload size.
	LoadFile(ctx context.Context, c object.Checksum) (*object.FileHeader, io.ReadCloser, int64, error)
}

// Linker is implemented by sources on the local filesystem whose stored
// objects a destination can take as hard links.
type Linker interface {
	// LinkableTo reports whether dst is on the same filesystem and has
	// the same owner, as libostree requires for hard links.
	LinkableTo(dst *repo.Repo) bool
	// LinkPath returns the path of a stored object that a repository in
	// mode can link: content objects need the same mode (metadata is
	// stored identically in every mode). The path need not exist.
	LinkPath(n object.Name, mode repo.Mode) (string, bool)
}

// LocalSource serves a repository on disk.
type LocalSource struct {
	r   *repo.Repo
	dev uint64
	uid uint32
	ok  bool
}

var (
	_ Source = (*LocalSource)(nil)
	_ Linker = (*LocalSource)(nil)
)

// NewLocalSource wraps r.
func NewLocalSource(r *repo.Repo) *LocalSource {
	s := &LocalSource{r: r}
	if dev, uid, err := r.ObjectsOwner(); err == nil {
		s.dev, s.uid, s.ok = dev, uid, true
	}
	return s
}

// Repo returns the source repository.
func (s *LocalSource) Repo() *repo.Repo { return s.r }

// ListRefs lists local and remote refs ("remote:name"), as
// ostree_repo_list_refs does.
func (s *LocalSource) ListRefs(ctx context.Context) ([]Ref, error) {
	refs, err := s.r.ListRefs(ctx, true)
	if err != nil {
		return nil, err
	}
	out := make([]Ref, len(refs))
	for i, e := range refs {
		out[i] = Ref{Name: e.Refspec(), Checksum: e.Checksum}
	}
	return out, nil
}

// ResolveRef resolves name in the source.
func (s *LocalSource) ResolveRef(ctx context.Context, name string) (object.Checksum, error) {
	return s.r.ResolveRev(ctx, name, false)
}

// CollectionID is core.collection-id of the source.
func (s *LocalSource) CollectionID() string { return s.r.CollectionID() }

// LoadMetadata reads a metadata object.
func (s *LocalSource) LoadMetadata(ctx context.Context, c object.Checksum, t object.Type) ([]byte, error) {
	return s.r.LoadMetadata(ctx, c, t)
}

// LoadDetachedMetadata reads a commit's detached metadata.
func (s *LocalSource) LoadDetachedMetadata(ctx context.Context, c object.Checksum) ([]byte, error) {
	b, err := s.r.LoadMetadata(ctx, c, object.TypeCommitMeta)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, nil
	}
	return b, err
}

// LoadFile opens a content object.
func (s *LocalSource) LoadFile(ctx context.Context, c object.Checksum) (*object.FileHeader, io.ReadCloser, int64, error) {
	return s.r.LoadFile(ctx, c)
}

// LinkableTo implements Linker.
func (s *LocalSource) LinkableTo(dst *repo.Repo) bool {
	if !s.ok {
		return false
	}
	dev, uid, err := dst.ObjectsOwner()
	return err == nil && dev == s.dev && uid == s.uid
}

// LinkPath implements Linker.
func (s *LocalSource) LinkPath(n object.Name, mode repo.Mode) (string, bool) {
	userOnlyConversion := n.Type == object.TypeFile && s.r.Mode() == repo.ModeBareUser && mode == repo.ModeBareUserOnly
	if n.Type == object.TypeFile && mode != s.r.Mode() && !userOnlyConversion {
		return "", false
	}
	// Objects of the source's parent repos are copied instead: linking
	// this path fails, which LinkObject reports as unsupported.
	p := s.r.ObjectPath(n.Checksum, n.Type)
	if userOnlyConversion {
		// bare-user regular files are stored as themselves, so
		// bare-user-only can link them (libostree does, for flatpak);
		// its symlinks are files holding the target and must be copied.
		meta, err := fsx.Lgetxattr(p, "user.ostreemeta")
		if err != nil {
			return "", false
		}
		h, err := object.UnmarshalBareUserMeta(meta)
		if err != nil || h.Mode&object.ModeFmt != object.ModeReg {
			return "", false
		}
	}
	return p, true
}
