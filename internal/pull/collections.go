package pull

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/summary"
)

// summaryLocalSource is a LocalSource that knows its refs' collections
// from the repository's summary, as libostree does when it pulls from a
// file:// remote (it reads the summary there too): a mirror pull then
// writes refs of a collection other than the destination's under
// refs/mirrors/CID.
type summaryLocalSource struct {
	*LocalSource
	collections map[string]string // ref name → collection ID
}

var _ refCollection = (*summaryLocalSource)(nil)

// localRemoteSource is the source of a pull from a file:// remote; only
// mirror pulls need the summary's collections.
func localRemoteSource(r *repo.Repo, mirror bool) Source {
	ls := NewLocalSource(r)
	if !mirror {
		return ls
	}
	raw, err := os.ReadFile(filepath.Join(r.Path(), "summary"))
	if err != nil {
		return ls
	}
	sum, err := summary.Unmarshal(raw)
	if err != nil {
		return ls
	}
	cid, ok := sum.CollectionID()
	if !ok || cid == "" {
		return ls
	}
	s := &summaryLocalSource{LocalSource: ls, collections: make(map[string]string, len(sum.Refs))}
	for _, ref := range sum.Refs {
		s.collections[ref.Name] = cid
	}
	return s
}

// ResolveRef resolves name in the source repository, with the error a
// LocalSource's missing ref gets.
func (s *summaryLocalSource) ResolveRef(ctx context.Context, name string) (object.Checksum, error) {
	c, err := s.LocalSource.ResolveRef(ctx, name)
	if errors.Is(err, errdefs.ErrNotFound) {
		return c, fmt.Errorf("Refspec '%s' not found: %w", name, errdefs.ErrNotFound)
	}
	return c, err
}

// RefCollection implements refCollection.
func (s *summaryLocalSource) RefCollection(name string) string { return s.collections[name] }
