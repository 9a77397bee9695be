package repo

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/gostree/gostree/internal/object"
)

// ListObjects calls fn for every loose object stored in this repo (not
// its parent). Files whose names are not objects are skipped.
func (r *Repo) ListObjects(ctx context.Context, fn func(object.Name) error) error {
	objdir := filepath.Join(r.path, "objects")
	subs, err := os.ReadDir(objdir)
	if err != nil {
		return err
	}
	for _, s := range subs {
		if !s.IsDir() || len(s.Name()) != 2 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		ents, err := os.ReadDir(filepath.Join(objdir, s.Name()))
		if err != nil {
			return err
		}
		for _, e := range ents {
			n := e.Name()
			dot := strings.IndexByte(n, '.')
			if dot != 62 {
				continue
			}
			suffix := n[dot+1:]
			if suffix == "filez" {
				suffix = "file"
			}
			name, err := object.ParseName(s.Name() + n[:dot] + "." + suffix)
			if err != nil {
				continue
			}
			if err := fn(name); err != nil {
				return err
			}
		}
	}
	return nil
}

// DeleteObject removes a loose object from this repo.
func (r *Repo) DeleteObject(ctx context.Context, c object.Checksum, t object.Type) error {
	return os.Remove(r.ObjectPath(c, t))
}

// WriteDetachedMetadata replaces (or with nil, deletes) the detached
// metadata of commit c. It is not content-addressed, so it is written in
// place atomically rather than through a transaction.
func (r *Repo) WriteDetachedMetadata(ctx context.Context, c object.Checksum, md object.Metadata) error {
	p := r.ObjectPath(c, object.TypeCommitMeta)
	if md == nil {
		err := os.Remove(p)
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	b, err := object.MarshalMetadata(md)
	if err != nil {
		return err
	}
	if err := r.ensureObjectDir(filepath.Dir(p)); err != nil {
		return err
	}
	return writeAtomic(p, b, r.fsync)
}
