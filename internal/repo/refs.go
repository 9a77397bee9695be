package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/ref"
)

func (r *Repo) refPath(remote, name string) string {
	if remote == "" {
		return filepath.Join(r.path, "refs", "heads", name)
	}
	return filepath.Join(r.path, "refs", "remotes", remote, name)
}

// SetRef writes refs/heads/NAME (or refs/remotes/REMOTE/NAME)
// atomically; a nil target deletes the ref.
func (r *Repo) SetRef(ctx context.Context, remote, name string, target *object.Checksum) error {
	if err := ref.ValidateRef(name); err != nil {
		return fmt.Errorf("%w: %v", errdefs.ErrInvalid, err)
	}
	p := r.refPath(remote, name)
	if target == nil {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete ref %s: %w", name, err)
		}
		return nil
	}
	if st, err := os.Lstat(p); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("cannot update ref %s: it is an alias: %w", name, errdefs.ErrInvalid)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("write ref %s: %w", name, err)
	}
	return fsx.WriteFileAtomic(p, []byte(target.String()+"\n"), 0o644, r.fsync)
}

// SetMirrorRef writes a collection ref under refs/mirrors.
func (r *Repo) SetMirrorRef(ctx context.Context, cid, name string, target *object.Checksum) error {
	p := filepath.Join(r.path, "refs", "mirrors", cid, name)
	if target == nil {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return fsx.WriteFileAtomic(p, []byte(target.String()+"\n"), 0o644, r.fsync)
}

// SetAlias makes refs/heads/NAME a symlink to the ref TARGET.
func (r *Repo) SetAlias(ctx context.Context, name, target string) error {
	if err := ref.ValidateRef(name); err != nil {
		return fmt.Errorf("%w: %v", errdefs.ErrInvalid, err)
	}
	p := r.refPath("", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(p), r.refPath("", target))
	if err != nil {
		return err
	}
	tmp := p + ".tmp-alias"
	os.Remove(tmp)
	if err := os.Symlink(rel, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

func readRefFile(p string) (object.Checksum, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return object.Checksum{}, err
	}
	s := string(bytes.TrimRight(b, "\n"))
	c, err := object.ParseChecksum(s)
	if err != nil {
		return object.Checksum{}, fmt.Errorf("ref file %s: %w: %v", p, errdefs.ErrCorrupt, err)
	}
	return c, nil
}

// ResolveRev resolves a checksum, a ref, remote:ref, or any of them with
// trailing ^ (parent). With allowNoent an unknown ref gives a zero
// checksum and no error.
func (r *Repo) ResolveRev(ctx context.Context, rev string, allowNoent bool) (object.Checksum, error) {
	if strings.HasSuffix(rev, "^") {
		c, err := r.ResolveRev(ctx, strings.TrimSuffix(rev, "^"), false)
		if err != nil {
			return c, err
		}
		cm, err := r.LoadCommit(ctx, c)
		if err != nil {
			return object.Checksum{}, err
		}
		if cm.Parent.IsZero() {
			return object.Checksum{}, fmt.Errorf("Commit %s has no parent: %w", c, errdefs.ErrNotFound)
		}
		return cm.Parent, nil
	}
	if object.IsChecksumString(rev) {
		return object.ParseChecksum(rev)
	}
	spec, err := ref.ParseSpec(rev)
	if err != nil {
		return object.Checksum{}, fmt.Errorf("%w: %v", errdefs.ErrInvalid, err)
	}
	for x := r; x != nil; x = x.parent {
		c, err := x.resolveLocal(spec)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return object.Checksum{}, err
		}
	}
	if allowNoent {
		return object.Checksum{}, nil
	}
	return object.Checksum{}, fmt.Errorf("Refspec '%s' not found: %w", rev, errdefs.ErrNotFound)
}

func (r *Repo) resolveLocal(spec ref.Spec) (object.Checksum, error) {
	if spec.Remote != "" {
		return readRefFile(r.refPath(spec.Remote, spec.Ref))
	}
	c, err := readRefFile(r.refPath("", spec.Ref))
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return c, err
	}
	// "remote/ref" also names refs/remotes/remote/ref.
	c, err = readRefFile(filepath.Join(r.path, "refs", "remotes", spec.Ref))
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return c, err
	}
	// And collection refs mirrored from other collections.
	matches, _ := filepath.Glob(filepath.Join(r.path, "refs", "mirrors", "*", spec.Ref))
	for _, m := range matches {
		if c, err := readRefFile(m); err == nil {
			return c, nil
		}
	}
	// Finally a ref of any remote, as ostree_repo_resolve_rev falls back
	// to (`admin deploy REF` after `pull-local --remote=R`).
	matches, _ = filepath.Glob(filepath.Join(r.path, "refs", "remotes", "*", spec.Ref))
	for _, m := range matches {
		if c, err := readRefFile(m); err == nil {
			return c, nil
		}
	}
	return object.Checksum{}, fs.ErrNotExist
}

// RefEntry is a listed ref.
type RefEntry struct {
	Remote       string // "" for local refs
	CollectionID string // set for refs under refs/mirrors
	Name         string
	Checksum     object.Checksum
	AliasOf      string // target ref name when the ref is an alias
}

// Refspec formats the entry as `ostree refs` prints it.
func (e RefEntry) Refspec() string {
	if e.Remote != "" {
		return e.Remote + ":" + e.Name
	}
	return e.Name
}

// ListRefs lists local refs (and, with remotes, remote refs), sorted.
func (r *Repo) ListRefs(ctx context.Context, remotes bool) ([]RefEntry, error) {
	var out []RefEntry
	heads := filepath.Join(r.path, "refs", "heads")
	if err := walkRefs(heads, func(name, p string, alias string) error {
		c, err := readRefFile(p)
		if err != nil {
			return err
		}
		out = append(out, RefEntry{Name: name, Checksum: c, AliasOf: alias})
		return nil
	}); err != nil {
		return nil, err
	}
	if remotes {
		rdir := filepath.Join(r.path, "refs", "remotes")
		ents, _ := os.ReadDir(rdir)
		for _, e := range ents {
			if !e.IsDir() {
				continue
			}
			remote := e.Name()
			if err := walkRefs(filepath.Join(rdir, remote), func(name, p string, alias string) error {
				c, err := readRefFile(p)
				if err != nil {
					return err
				}
				out = append(out, RefEntry{Remote: remote, Name: name, Checksum: c})
				return nil
			}); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Refspec() < out[j].Refspec() })
	return out, nil
}

// ListMirrorRefs lists refs/mirrors/<collection>/<ref>.
func (r *Repo) ListMirrorRefs(ctx context.Context) ([]RefEntry, error) {
	var out []RefEntry
	mdir := filepath.Join(r.path, "refs", "mirrors")
	ents, _ := os.ReadDir(mdir)
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		cid := e.Name()
		if err := walkRefs(filepath.Join(mdir, cid), func(name, p string, _ string) error {
			c, err := readRefFile(p)
			if err != nil {
				return err
			}
			out = append(out, RefEntry{CollectionID: cid, Name: name, Checksum: c})
			return nil
		}); err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].CollectionID != out[j].CollectionID {
			return out[i].CollectionID < out[j].CollectionID
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// walkRefs calls fn for each ref file under dir with its slash-separated
// name; aliases (symlinks) report the ref they point to.
func walkRefs(dir string, fn func(name, path, alias string) error) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		// Entries that are no ref fragment (".rsync_info") are not refs.
		if p != dir && !refFragmentRe.MatchString(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		name, _ := filepath.Rel(dir, p)
		name = filepath.ToSlash(name)
		if strings.Contains(filepath.Base(p), ".tmp") {
			return nil
		}
		alias := ""
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			abs := filepath.Join(filepath.Dir(p), target)
			if st, err := os.Stat(abs); err == nil && st.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(dir, abs)
			if err != nil {
				return err
			}
			alias = filepath.ToSlash(rel)
		}
		return fn(name, p, alias)
	})
}
