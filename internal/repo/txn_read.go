package repo

import (
	"context"
	"fmt"
	"io"

	"github.com/gostree/gostree/internal/object"
)

// Reading through a transaction sees its staged objects first, then the
// repo: the commit path needs the tree it just wrote (composefs metadata)
// before anything is published.

// LoadMetadata reads a metadata object, staged or stored.
func (t *Txn) LoadMetadata(ctx context.Context, c object.Checksum, typ object.Type) ([]byte, error) {
	if p := t.StagedPath(c, typ); p != "" {
		return readMetadataFile(p, c, typ)
	}
	return t.r.LoadMetadata(ctx, c, typ)
}

// LoadDirTree reads and parses a dirtree, staged or stored.
func (t *Txn) LoadDirTree(ctx context.Context, c object.Checksum) (object.DirTree, error) {
	return parseDirTree(c)(t.LoadMetadata(ctx, c, object.TypeDirTree))
}

// LoadDirMeta reads and parses a dirmeta, staged or stored.
func (t *Txn) LoadDirMeta(ctx context.Context, c object.Checksum) (object.DirMeta, error) {
	return parseDirMeta(c)(t.LoadMetadata(ctx, c, object.TypeDirMeta))
}

// LoadFile opens a content object, staged or stored (see Repo.LoadFile).
func (t *Txn) LoadFile(ctx context.Context, c object.Checksum) (*object.FileHeader, io.ReadCloser, int64, error) {
	if p := t.StagedPath(c, object.TypeFile); p != "" {
		h, rc, size, err := t.r.loadFileAt(p)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("load file %s: %w", c, err)
		}
		return h, rc, size, nil
	}
	return t.r.LoadFile(ctx, c)
}
