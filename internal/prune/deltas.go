package prune

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// delta is a static delta stored under deltas/XX/REST.
type delta struct {
	from, to object.Checksum // from is zero for a from-scratch delta
	dir      string          // relative to the repo
}

// decodeB64Checksum decodes libostree's "modified base64" checksum
// (43 characters, '_' in place of '/').
func decodeB64Checksum(s string) (object.Checksum, error) {
	b, err := base64.RawStdEncoding.DecodeString(strings.ReplaceAll(s, "_", "/"))
	if err != nil {
		return object.Checksum{}, err
	}
	return object.ChecksumFromBytes(b)
}

// listDeltas lists the deltas that have a superblock.
func listDeltas(r *repo.Repo) ([]delta, error) {
	root := filepath.Join(r.Path(), "deltas")
	firsts, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []delta
	for _, a := range firsts {
		if !a.IsDir() {
			continue
		}
		rests, err := os.ReadDir(filepath.Join(root, a.Name()))
		if err != nil {
			return nil, err
		}
		for _, b := range rests {
			if !b.IsDir() {
				continue
			}
			rel := filepath.Join("deltas", a.Name(), b.Name())
			if _, err := os.Stat(filepath.Join(r.Path(), rel, "superblock")); err != nil {
				continue
			}
			name := a.Name() + b.Name()
			d := delta{dir: rel}
			toPart := name
			if from, to, ok := strings.Cut(name, "-"); ok {
				if d.from, err = decodeB64Checksum(from); err != nil {
					continue
				}
				toPart = to
			}
			if d.to, err = decodeB64Checksum(toPart); err != nil {
				continue
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// PruneStaticDeltas deletes the static deltas whose target is commit, or,
// when commit is nil, those whose target commit is no longer stored.
func PruneStaticDeltas(ctx context.Context, r *repo.Repo, commit *object.Checksum) error {
	deltas, err := listDeltas(r)
	if err != nil {
		return err
	}
	for _, d := range deltas {
		if commit != nil {
			if d.to != *commit {
				continue
			}
		} else {
			ok, err := r.HasObject(ctx, d.to, object.TypeCommit)
			if err != nil {
				return err
			}
			if ok {
				continue
			}
		}
		if err := os.RemoveAll(filepath.Join(r.Path(), d.dir)); err != nil {
			return fmt.Errorf("deleting static delta %s: %w", d.dir, err)
		}
	}
	return nil
}
