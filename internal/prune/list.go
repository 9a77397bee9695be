package prune

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// listObjects lists the loose objects of r itself (not its parents) that
// prune considers, as libostree's list_loose_objects_at does: content
// objects with the suffix of the repo's mode, dirtrees, dirmetas, commits
// and payload links. Detached metadata and tombstones are not listed;
// they go with their commit. commitsOnly lists commits only.
func listObjects(ctx context.Context, r *repo.Repo, commitsOnly bool) ([]object.Name, error) {
	fileSuffix := ".file"
	if r.Mode().IsArchive() {
		fileSuffix = ".filez"
	}
	objdir := filepath.Join(r.Path(), "objects")
	subs, err := os.ReadDir(objdir)
	if err != nil {
		return nil, err
	}
	var out []object.Name
	for _, s := range subs {
		if !s.IsDir() || len(s.Name()) != 2 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ents, err := os.ReadDir(filepath.Join(objdir, s.Name()))
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			n := e.Name()
			dot := strings.LastIndexByte(n, '.')
			if dot != 62 {
				continue
			}
			var t object.Type
			switch n[dot:] {
			case fileSuffix:
				t = object.TypeFile
			case ".dirtree":
				t = object.TypeDirTree
			case ".dirmeta":
				t = object.TypeDirMeta
			case ".commit":
				t = object.TypeCommit
			case ".payload-link":
				t = object.TypePayloadLink
			default:
				continue
			}
			if commitsOnly && t != object.TypeCommit {
				continue
			}
			c, err := object.ParseChecksum(s.Name() + n[:dot])
			if err != nil {
				continue
			}
			out = append(out, object.Name{Checksum: c, Type: t})
		}
	}
	return out, nil
}
