package summary

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// MetadataRef is the ref `summary -u` commits the repository metadata to
// when the repository has a collection ID (OSTREE_REPO_METADATA_REF).
const MetadataRef = "ostree-metadata"

// CommitTime is the timestamp libostree gives a new commit:
// $SOURCE_DATE_EPOCH when set, else now.
func CommitTime(getenv func(string) string) (uint64, error) {
	if s := getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("failed to convert SOURCE_DATE_EPOCH")
		}
		return uint64(n), nil
	}
	return uint64(time.Now().Unix()), nil
}

// WriteMetadataCommit commits additional (plus the collection and ref
// bindings) to the ref ostree-metadata of r's collection, on top of its
// previous commit, with an empty root directory, as `summary -u` does for
// repositories with a collection ID. timestamp is the commit time (see
// CommitTime).
func WriteMetadataCommit(ctx context.Context, r *repo.Repo, additional object.Metadata, timestamp uint64) (object.Checksum, error) {
	cid := r.CollectionID()
	if cid == "" {
		return object.Checksum{}, fmt.Errorf("write %s commit: repository has no collection ID", MetadataRef)
	}
	parent, _, err := r.ResolveRevExt(ctx, MetadataRef, true, true)
	if err != nil {
		return object.Checksum{}, err
	}
	md := object.NewVarDictFrom(additional)
	md.Insert("ostree.collection-binding", gvariant.NewVariant("s", cid))
	md.Insert("ostree.ref-binding", gvariant.NewVariant("as", []any{MetadataRef}))

	txn, err := r.Begin(ctx)
	if err != nil {
		return object.Checksum{}, err
	}
	defer txn.Abort()
	meta, err := txn.WriteMetadata(ctx, object.TypeDirMeta, object.MarshalDirMeta(object.DirMeta{Mode: 0o40755}))
	if err != nil {
		return object.Checksum{}, err
	}
	tree, err := txn.WriteMetadata(ctx, object.TypeDirTree, object.MarshalDirTree(object.DirTree{}))
	if err != nil {
		return object.Checksum{}, err
	}
	data, err := object.MarshalCommit(&object.Commit{
		Metadata:  md.End(),
		Parent:    parent,
		Timestamp: timestamp,
		RootTree:  tree,
		RootMeta:  meta,
	})
	if err != nil {
		return object.Checksum{}, err
	}
	c, err := txn.WriteMetadata(ctx, object.TypeCommit, data)
	if err != nil {
		return object.Checksum{}, err
	}
	txn.SetRef("", MetadataRef, &c)
	if err := txn.Commit(ctx); err != nil {
		return object.Checksum{}, err
	}
	return c, nil
}
