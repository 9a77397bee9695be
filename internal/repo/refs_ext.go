package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/ref"
)

// This file holds the ref listing and writing that the refs, summary and
// remote commands need, with libostree's exact semantics
// (ostree-repo-refs.c): prefix listing with and without the prefix cut,
// aliases, collection refs, and writes that replace an empty directory.

// refFragmentRe is OSTREE_REF_FRAGMENT_REGEXP: directory entries that do
// not match it (".rsync_info", ".spooky") are not refs.
var refFragmentRe = regexp.MustCompile(`^[\w\d][-._\w\d]*$`)

// ListRefsOptions select what ListRefsExt lists.
type ListRefsOptions struct {
	// Prefix is a refspec prefix ("foo", "foo/bar", "origin:", "origin:.",
	// "origin:foo"); "" lists all local and remote refs.
	Prefix string
	// CutPrefix strips Prefix from the names (ostree_repo_list_refs);
	// otherwise names are full (ostree_repo_list_refs_ext).
	CutPrefix bool
	// AliasesOnly lists only aliases, mapped to the ref they point to.
	AliasesOnly bool
	// ExcludeRemotes leaves out refs/remotes.
	ExcludeRemotes bool
}

// ListRefsExt maps refspecs ("name" or "remote:name") to the contents of
// their ref files (a checksum, not validated) or, with AliasesOnly, to
// their alias targets. A prefix naming a ref file lists just that ref,
// under its full name; a prefix naming nothing lists nothing.
func (r *Repo) ListRefsExt(ctx context.Context, opts ListRefsOptions) (map[string]string, error) {
	out := map[string]string{}
	if opts.Prefix == "" {
		if err := r.enumerateRefs("", "", filepath.Join(r.path, "refs", "heads"), "", opts.AliasesOnly, out); err != nil {
			return nil, err
		}
		if opts.ExcludeRemotes {
			return out, nil
		}
		rdir := filepath.Join(r.path, "refs", "remotes")
		ents, err := os.ReadDir(rdir)
		if err != nil {
			return nil, r.sysErr("opendir", rdir, err)
		}
		for _, e := range ents {
			if !e.IsDir() {
				continue
			}
			if err := r.enumerateRefs(e.Name(), "", filepath.Join(rdir, e.Name()), "", opts.AliasesOnly, out); err != nil {
				return nil, err
			}
		}
		return out, nil
	}

	var remote, prefix string
	p := opts.Prefix
	if strings.HasSuffix(p, ":") || strings.HasSuffix(p, ":.") {
		rn := p[:strings.LastIndexByte(p, ':')]
		if ref.ValidateRemote(rn) == nil {
			remote, prefix = rn, "."
		}
	}
	if prefix == "" {
		spec, err := ParseRefspec(p)
		if err != nil {
			return nil, err
		}
		remote, prefix = spec.Remote, spec.Ref
	}
	base := filepath.Join(r.path, "refs", "heads")
	if remote != "" && !opts.ExcludeRemotes {
		base = filepath.Join(r.path, "refs", "remotes", remote)
	} else {
		remote = ""
	}
	path := filepath.Join(base, prefix)
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, r.sysErr("fstatat", path, err)
	}
	if st.IsDir() {
		namePrefix := ""
		if !opts.CutPrefix {
			namePrefix = prefix + "/"
		}
		if err := r.enumerateRefs(remote, "", path, namePrefix, opts.AliasesOnly, out); err != nil {
			return nil, err
		}
		return out, nil
	}
	c, err := readRefContents(path)
	if err != nil {
		return nil, r.sysErr("openat", path, err)
	}
	out[refspecName(remote, prefix)] = c
	return out, nil
}

func refspecName(remote, name string) string {
	if remote == "" {
		return name
	}
	return remote + ":" + name
}

// readRefContents reads a ref file, without its trailing whitespace.
func readRefContents(p string) (string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), " \t\n\r\f\v"), nil
}

// enumerateRefs is enumerate_refs_recurse: it adds the refs under dir,
// named namePrefix+relative path, to out. For a collection ID the keys
// are "cid\x00name" (see ListCollectionRefs).
func (r *Repo) enumerateRefs(remote, cid, dir, namePrefix string, aliasesOnly bool, out map[string]string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return r.sysErr("opendir", dir, err)
	}
	for _, e := range ents {
		if !refFragmentRe.MatchString(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		name := namePrefix + e.Name()
		t := e.Type()
		switch {
		case t.IsDir():
			if err := r.enumerateRefs(remote, cid, p, name+"/", aliasesOnly, out); err != nil {
				return err
			}
		case aliasesOnly && t&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return r.sysErr("readlinkat", p, err)
			}
			for strings.HasPrefix(target, "../") {
				target = target[3:]
			}
			out[name] = target
		case (!aliasesOnly && t.IsRegular()) || t&fs.ModeSymlink != 0:
			if t&fs.ModeSymlink != 0 {
				// An alias of a directory is no ref.
				if st, err := os.Stat(p); err == nil && st.IsDir() {
					continue
				}
			}
			c, err := readRefContents(p)
			if err != nil {
				return r.sysErr("openat", p, err)
			}
			if cid != "" {
				out[cid+"\x00"+name] = c
			} else {
				out[refspecName(remote, name)] = c
			}
		}
	}
	return nil
}

// CollectionRef names a ref of a collection.
type CollectionRef = ref.CollectionRef

// ListCollectionRefsOptions select what ListCollectionRefs lists.
type ListCollectionRefsOptions struct {
	// Match restricts the listing to one collection ID; "" lists all.
	Match          string
	ExcludeRemotes bool
	ExcludeMirrors bool
	// RemoteCollectionID gives the collection ID configured for a remote,
	// or false when it has none (the refs/remotes/REMOTE refs are then
	// left out). Nil leaves out all remote refs.
	RemoteCollectionID func(remote string) (string, bool)
}

// ListCollectionRefs is ostree_repo_list_collection_refs: refs/heads
// under the repository's collection ID (when it has one), refs/mirrors,
// and refs/remotes of remotes with a collection ID, mapped to their ref
// file contents. Later sources win for the same collection-ref.
func (r *Repo) ListCollectionRefs(ctx context.Context, opts ListCollectionRefsOptions) (map[CollectionRef]string, error) {
	if opts.Match != "" {
		if err := ref.ValidateCollectionID(opts.Match); err != nil {
			return nil, fmt.Errorf("Invalid collection ID %s: %w", opts.Match, errdefs.ErrInvalid)
		}
	}
	raw := map[string]string{}
	main := r.CollectionID()
	if main != "" && (opts.Match == "" || opts.Match == main) {
		if err := r.enumerateRefs("", main, filepath.Join(r.path, "refs", "heads"), "", false, raw); err != nil {
			return nil, err
		}
	}
	if !opts.ExcludeMirrors {
		dir := filepath.Join(r.path, "refs", "mirrors")
		ents, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, r.sysErr("opendir", dir, err)
		}
		for _, e := range ents {
			if !e.IsDir() || (opts.Match != "" && opts.Match != e.Name()) {
				continue
			}
			if err := r.enumerateRefs("", e.Name(), filepath.Join(dir, e.Name()), "", false, raw); err != nil {
				return nil, err
			}
		}
	}
	if !opts.ExcludeRemotes && opts.RemoteCollectionID != nil {
		dir := filepath.Join(r.path, "refs", "remotes")
		ents, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, r.sysErr("opendir", dir, err)
		}
		for _, e := range ents {
			if !e.IsDir() {
				continue
			}
			cid, ok := opts.RemoteCollectionID(e.Name())
			if !ok || ref.ValidateCollectionID(cid) != nil {
				continue
			}
			if opts.Match != "" && opts.Match != cid {
				continue
			}
			if err := r.enumerateRefs("", cid, filepath.Join(dir, e.Name()), "", false, raw); err != nil {
				return nil, err
			}
		}
	}
	out := make(map[CollectionRef]string, len(raw))
	for k, v := range raw {
		cid, name, _ := strings.Cut(k, "\x00")
		out[CollectionRef{CollectionID: cid, Ref: name}] = v
	}
	return out, nil
}

// ParseRefspec is ostree_parse_refspec: [REMOTE:]REF, both validated.
func ParseRefspec(s string) (ref.Spec, error) {
	sp, err := ref.ParseSpec(s)
	if err != nil {
		return ref.Spec{}, fmt.Errorf("Invalid refspec %s: %w", s, errdefs.ErrInvalid)
	}
	return sp, nil
}

// WriteRef is _ostree_repo_write_ref for a plain ref: it sets
// refs/heads/NAME (or refs/remotes/REMOTE/NAME) to target, or deletes it
// when target is nil. A directory in the way that holds no other refs is
// replaced. The repository's mtime is updated; regenerating the summary
// (core.auto-update-summary) is the caller's business.
func (r *Repo) WriteRef(ctx context.Context, remote, name string, target *object.Checksum) error {
	if remote != "" {
		if err := ref.ValidateRemote(remote); err != nil {
			return fmt.Errorf("Invalid remote name %s: %w", remote, errdefs.ErrInvalid)
		}
	}
	dir := filepath.Join(r.path, "refs", "heads")
	if remote != "" {
		dir = filepath.Join(r.path, "refs", "remotes", remote)
	}
	return r.writeRefIn(ctx, dir, remote, name, target)
}

// WriteCollectionRef writes (or with a nil target deletes) a
// collection-ref: under refs/heads for the repository's own collection,
// under refs/mirrors/CID otherwise.
func (r *Repo) WriteCollectionRef(ctx context.Context, cr CollectionRef, target *object.Checksum) error {
	if err := ref.ValidateCollectionID(cr.CollectionID); err != nil {
		return fmt.Errorf("Invalid collection ID %s: %w", cr.CollectionID, errdefs.ErrInvalid)
	}
	if cr.CollectionID == r.CollectionID() {
		return r.writeRefIn(ctx, filepath.Join(r.path, "refs", "heads"), "", cr.Ref, target)
	}
	dir := filepath.Join(r.path, "refs", "mirrors", cr.CollectionID)
	if target == nil {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			if err := ref.ValidateRef(cr.Ref); err != nil {
				return fmt.Errorf("Invalid ref name %s: %w", cr.Ref, errdefs.ErrInvalid)
			}
			return r.touch()
		}
	}
	return r.writeRefIn(ctx, dir, "", cr.Ref, target)
}

func (r *Repo) writeRefIn(ctx context.Context, dir, remote, name string, target *object.Checksum) error {
	if err := ref.ValidateRef(name); err != nil {
		return fmt.Errorf("Invalid ref name %s: %w", name, errdefs.ErrInvalid)
	}
	p := filepath.Join(dir, name)
	if target == nil {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete ref %s: %w", name, err)
		}
		return r.touch()
	}
	if object.IsChecksumString(name) {
		return fmt.Errorf("Rev name '%s' looks like a checksum: %w", name, errdefs.ErrInvalid)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("write ref %s: %w", name, err)
	}
	if st, err := os.Lstat(p); err == nil && st.IsDir() {
		// Only a directory without refs in it may be replaced.
		under := map[string]string{}
		if err := r.enumerateRefs(remote, "", p, "", false, under); err != nil {
			return err
		}
		for k := range under {
			if k != name {
				return fmt.Errorf("Conflict: %s exists under %s when attempting write: %w", k, name, errdefs.ErrExists)
			}
		}
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("write ref %s: %w", name, err)
		}
	}
	if err := writeAtomic(p, []byte(target.String()+"\n"), r.fsync); err != nil {
		return fmt.Errorf("write ref %s: %w", name, err)
	}
	return r.touch()
}

// WriteAlias makes refs/heads/NAME an alias of the ref target: a relative
// symlink.
func (r *Repo) WriteAlias(ctx context.Context, name, target string) error {
	if err := ref.ValidateRef(name); err != nil {
		return fmt.Errorf("Invalid ref name %s: %w", name, errdefs.ErrInvalid)
	}
	p := filepath.Join(r.path, "refs", "heads", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("write alias %s: %w", name, err)
	}
	rel := strings.Repeat("../", strings.Count(name, "/")) + target
	tmp, err := os.MkdirTemp(filepath.Join(r.path, "tmp"), "alias-")
	if err != nil {
		return fmt.Errorf("write alias %s: %w", name, err)
	}
	defer os.RemoveAll(tmp)
	link := filepath.Join(tmp, "link")
	if err := os.Symlink(rel, link); err != nil {
		return fmt.Errorf("write alias %s: %w", name, err)
	}
	if err := os.Rename(link, p); err != nil {
		return fmt.Errorf("write alias %s: %w", name, err)
	}
	return r.touch()
}

// touch is _ostree_repo_update_mtime: the repository directory's mtime
// tells clients and caches that refs changed.
func (r *Repo) touch() error {
	now := time.Now()
	if err := os.Chtimes(r.path, now, now); err != nil {
		return fmt.Errorf("update repo mtime: %w", err)
	}
	return nil
}

// ResolveRevExt is _ostree_repo_resolve_rev_internal: rev is a full
// checksum, a unique checksum prefix of a commit, REV^ (the parent of
// REV), or a refspec looked up in refs/heads (or refs/remotes/REMOTE),
// then, with fallbackRemote, in refs/remotes/REF and in every remote,
// then in the parent repositories. With allowNoent a missing ref gives
// ok false and no error. A ref path that is a directory gives an error
// wrapping syscall.EISDIR.
func (r *Repo) ResolveRevExt(ctx context.Context, rev string, allowNoent, fallbackRemote bool) (c object.Checksum, ok bool, err error) {
	if object.IsChecksumString(rev) {
		c, err := object.ParseChecksum(rev)
		return c, err == nil, err
	}
	if c, ok, err := r.resolvePartialChecksum(ctx, rev); err != nil || ok {
		return c, ok, err
	}
	if base, isParent := strings.CutSuffix(rev, "^"); isParent {
		pc, ok, err := r.ResolveRevExt(ctx, base, allowNoent, true)
		if err != nil || !ok {
			return object.Checksum{}, false, err
		}
		cm, err := r.LoadCommit(ctx, pc)
		if err != nil {
			return object.Checksum{}, false, err
		}
		if cm.Parent.IsZero() {
			return object.Checksum{}, false, fmt.Errorf("Commit %s has no parent: %w", pc, errdefs.ErrNotFound)
		}
		return cm.Parent, true, nil
	}
	spec, err := ParseRefspec(rev)
	if err != nil {
		return object.Checksum{}, false, err
	}
	for x := r; x != nil; x = x.parent {
		s, found, err := x.readRefFor(spec, fallbackRemote)
		if err != nil {
			return object.Checksum{}, false, err
		}
		if found {
			c, err := object.ParseChecksum(s)
			if err != nil {
				return object.Checksum{}, false, fmt.Errorf("Invalid rev %s: %w", s, errdefs.ErrCorrupt)
			}
			return c, true, nil
		}
	}
	if allowNoent {
		return object.Checksum{}, false, nil
	}
	return object.Checksum{}, false, fmt.Errorf("Refspec '%s' not found: %w", spec, errdefs.ErrNotFound)
}

// readRefFor is resolve_refspec for one repository.
func (r *Repo) readRefFor(spec ref.Spec, fallbackRemote bool) (string, bool, error) {
	var paths []string
	if spec.Remote != "" {
		paths = []string{filepath.Join(r.path, "refs", "remotes", spec.Remote, spec.Ref)}
	} else {
		paths = []string{filepath.Join(r.path, "refs", "heads", spec.Ref)}
		if fallbackRemote {
			paths = append(paths, filepath.Join(r.path, "refs", "remotes", spec.Ref))
			ents, _ := os.ReadDir(filepath.Join(r.path, "refs", "remotes"))
			for _, e := range ents {
				if e.IsDir() {
					paths = append(paths, filepath.Join(r.path, "refs", "remotes", e.Name(), spec.Ref))
				}
			}
		}
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", false, fmt.Errorf("Couldn't open ref '%s': %w", spec.Ref, err)
		}
		return strings.TrimRight(string(b), " \t\n\r\f\v"), true, nil
	}
	return "", false, nil
}

// resolvePartialChecksum is ostree_repo_resolve_partial_checksum: a
// string of at most 64 hex digits names the one commit whose checksum
// starts with it. Several matches are an error; none is ok false.
func (r *Repo) resolvePartialChecksum(ctx context.Context, prefix string) (object.Checksum, bool, error) {
	if len(prefix) > 64 || strings.Trim(prefix, "0123456789abcdef") != "" {
		return object.Checksum{}, false, nil
	}
	var found []object.Checksum
	seen := map[object.Checksum]bool{}
	for x := r; x != nil; x = x.parent {
		dirs := []string{}
		if len(prefix) >= 2 {
			dirs = append(dirs, prefix[:2])
		} else {
			ents, _ := os.ReadDir(filepath.Join(x.path, "objects"))
			for _, e := range ents {
				if e.IsDir() && len(e.Name()) == 2 && strings.HasPrefix(e.Name(), prefix) {
					dirs = append(dirs, e.Name())
				}
			}
		}
		for _, d := range dirs {
			ents, err := os.ReadDir(filepath.Join(x.path, "objects", d))
			if err != nil {
				continue
			}
			for _, e := range ents {
				n, ok := strings.CutSuffix(e.Name(), ".commit")
				if !ok || len(n) != 62 || !strings.HasPrefix(d+n, prefix) {
					continue
				}
				c, err := object.ParseChecksum(d + n)
				if err != nil || seen[c] {
					continue
				}
				seen[c] = true
				found = append(found, c)
			}
		}
	}
	switch len(found) {
	case 0:
		return object.Checksum{}, false, nil
	case 1:
		return found[0], true, nil
	}
	return object.Checksum{}, false, fmt.Errorf("Refspec %s not unique: %w", prefix, errdefs.ErrInvalid)
}

// sysErr words a failed system call as libglnx does, "opendir(PATH): ERRNO"
// with PATH relative to the repository, keeping the errno for errors.Is.
func (r *Repo) sysErr(op, path string, err error) error {
	if rel, e := filepath.Rel(r.path, path); e == nil && !strings.HasPrefix(rel, "..") {
		path = rel
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s(%s): %w", op, path, err)
}
