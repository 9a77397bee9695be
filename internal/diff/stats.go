package diff

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// Stats compares the objects two commits reach.
type Stats struct {
	ACount, BCount int
	CommonCount    int
	CommonSize     int64 // bytes the common objects take in the repository
}

// CommitStats counts the objects reachable from each commit (the commit,
// its dirtrees, dirmetas and files, not its parents) and those they
// share, as `ostree diff --stats` does.
func CommitStats(ctx context.Context, r *repo.Repo, a, b object.Checksum) (*Stats, error) {
	ra, err := reachable(ctx, r, a)
	if err != nil {
		return nil, err
	}
	rb, err := reachable(ctx, r, b)
	if err != nil {
		return nil, err
	}
	s := &Stats{ACount: len(ra), BCount: len(rb)}
	for n := range ra {
		if !rb[n] {
			continue
		}
		s.CommonCount++
		x, err := r.FindObject(n.Checksum, n.Type)
		if err != nil {
			return nil, err
		}
		if x == nil {
			return nil, fmt.Errorf("No such object %s: %w", n, errdefs.ErrNotFound)
		}
		st, err := os.Lstat(x.ObjectPath(n.Checksum, n.Type))
		if err != nil {
			return nil, err
		}
		s.CommonSize += st.Size()
	}
	return s, nil
}

// reachable walks one commit. A missing commit reaches nothing, and a
// partial commit may lack dirtrees.
func reachable(ctx context.Context, r *repo.Repo, c object.Checksum) (map[object.Name]bool, error) {
	set := map[object.Name]bool{}
	cm, err := r.LoadCommit(ctx, c)
	if errors.Is(err, errdefs.ErrNotFound) {
		return set, nil
	}
	if err != nil {
		return nil, err
	}
	partial, err := r.IsPartial(c)
	if err != nil {
		return nil, err
	}
	set[object.Name{Checksum: c, Type: object.TypeCommit}] = true
	var walk func(tree, meta object.Checksum) error
	walk = func(tree, meta object.Checksum) error {
		set[object.Name{Checksum: meta, Type: object.TypeDirMeta}] = true
		tn := object.Name{Checksum: tree, Type: object.TypeDirTree}
		if set[tn] {
			return nil
		}
		t, err := r.LoadDirTree(ctx, tree)
		if err != nil {
			if partial && errors.Is(err, errdefs.ErrNotFound) {
				return nil
			}
			return err
		}
		set[tn] = true
		for _, f := range t.Files {
			set[object.Name{Checksum: f.Checksum, Type: object.TypeFile}] = true
		}
		for _, d := range t.Dirs {
			if err := walk(d.Tree, d.Meta); err != nil {
				return err
			}
		}
		return nil
	}
	return set, walk(cm.RootTree, cm.RootMeta)
}
