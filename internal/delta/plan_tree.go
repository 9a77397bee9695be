package delta

import (
	"context"
	"fmt"
	"path"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// treeScan is what the generator needs from one commit's tree: every
// object it reaches (ostree_repo_traverse_commit with depth 0) and, for
// each content object, the paths that name it.
type treeScan struct {
	// meta holds the commit, dirtree and dirmeta objects.
	meta map[object.Name]struct{}
	// files maps each content object to the smallest path naming it,
	// which orders the delta's objects.
	files map[object.Checksum]string
	// basenames maps each file name to the content objects it names.
	basenames map[string][]object.Checksum
}

// scanCommit walks the tree of commit c, loading dirtrees in parallel.
func scanCommit(ctx context.Context, r *repo.Repo, c object.Checksum) (*treeScan, error) {
	cm, err := r.LoadCommit(ctx, c)
	if err != nil {
		return nil, err
	}
	s := &treeScan{
		meta:      map[object.Name]struct{}{{Checksum: c, Type: object.TypeCommit}: {}},
		files:     map[object.Checksum]string{},
		basenames: map[string][]object.Checksum{},
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2 * runtime.GOMAXPROCS(0))
	var walk func(dir string, tree, meta object.Checksum) error
	walk = func(dir string, tree, meta object.Checksum) error {
		mu.Lock()
		_, seen := s.meta[object.Name{Checksum: tree, Type: object.TypeDirTree}]
		s.meta[object.Name{Checksum: tree, Type: object.TypeDirTree}] = struct{}{}
		s.meta[object.Name{Checksum: meta, Type: object.TypeDirMeta}] = struct{}{}
		mu.Unlock()
		b, err := r.LoadMetadata(gctx, tree, object.TypeDirTree)
		if err != nil {
			return err
		}
		dt, err := object.UnmarshalDirTree(b)
		if err != nil {
			return fmt.Errorf("dirtree %s: %w", tree, err)
		}
		mu.Lock()
		for _, f := range dt.Files {
			p := path.Join(dir, f.Name)
			if old, ok := s.files[f.Checksum]; !ok || p < old {
				s.files[f.Checksum] = p
			}
			if !seen {
				s.basenames[f.Name] = append(s.basenames[f.Name], f.Checksum)
			}
		}
		mu.Unlock()
		for _, d := range dt.Dirs {
			sub, tree, meta := path.Join(dir, d.Name), d.Tree, d.Meta
			if !g.TryGo(func() error { return walk(sub, tree, meta) }) {
				if err := walk(sub, tree, meta); err != nil {
					return err
				}
			}
		}
		return nil
	}
	g.Go(func() error { return walk("/", cm.RootTree, cm.RootMeta) })
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("walk commit %s: %w", c, err)
	}
	for name, list := range s.basenames {
		s.basenames[name] = uniqueChecksums(list)
	}
	return s, nil
}

func uniqueChecksums(list []object.Checksum) []object.Checksum {
	if len(list) < 2 {
		return list
	}
	seen := make(map[object.Checksum]struct{}, len(list))
	out := list[:0]
	for _, c := range list {
		if _, ok := seen[c]; !ok {
			seen[c] = struct{}{}
			out = append(out, c)
		}
	}
	return out
}

// fileInfo is what the planner knows of a content object.
type fileInfo struct {
	size    int64
	mode    uint32
	symlink bool
}

// loadFileInfos reads the headers of content objects in parallel.
func loadFileInfos(ctx context.Context, r *repo.Repo, objs []object.Checksum) (map[object.Checksum]fileInfo, error) {
	out := make(map[object.Checksum]fileInfo, len(objs))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2 * runtime.GOMAXPROCS(0))
	for _, c := range objs {
		g.Go(func() error {
			h, rc, size, err := r.LoadFile(gctx, c)
			if err != nil {
				return err
			}
			rc.Close()
			mu.Lock()
			out[c] = fileInfo{size: size, mode: h.Mode, symlink: h.IsSymlink()}
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}
