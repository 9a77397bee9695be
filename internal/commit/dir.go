package commit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

func statInfo(st *unix.Stat_t) FileInfo {
	fi := FileInfo{Mode: st.Mode, UID: st.Uid, GID: st.Gid, Dev: uint64(st.Dev), Ino: st.Ino}
	if fi.isReg() {
		fi.Size = st.Size
	}
	return fi
}

// joinRel extends a commit path ("/" for the root).
func joinRel(rel, name string) string {
	if rel == "/" {
		return "/" + name
	}
	return rel + "/" + name
}

// AddDir overlays the directory at path (--tree=dir=PATH): files replace
// files of the same name, directories merge.
func (b *Builder) AddDir(ctx context.Context, path string) error {
	b.startLayer()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return fmt.Errorf("opendir(%s): %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("opendir(%s): %w", path, unix.ENOTDIR)
	}
	err := b.walkDir(ctx, b.root, path, "/", statInfo(&st))
	if werr := b.wait(ctx); werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	if b.mod != nil && b.mod.Consume {
		b.consumed = append(b.consumed, path)
	}
	return nil
}

func (b *Builder) disableXattrs() bool { return b.noXattrs }

// walkDir stores the dirmeta of the directory abs and walks its entries
// into t (libostree's write_dfd_iter_to_mtree_internal).
func (b *Builder) walkDir(ctx context.Context, t *Tree, abs, rel string, fi FileInfo) error {
	if b.failed() {
		return nil
	}
	mfi := fi
	if b.mod != nil {
		var skip bool
		if mfi, skip = b.mod.apply(b.mode, rel, fi); skip {
			return nil
		}
	}
	var x object.Xattrs
	if !b.mod.skipXattrs(b.mode) && !b.disableXattrs() {
		var err error
		if x, err = readXattrs(abs); err != nil {
			return err
		}
	}
	meta, err := b.writeDirMeta(ctx, mfi, x)
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	t.SetMetadata(meta)

	d, err := os.Open(abs)
	if err != nil {
		return err
	}
	defer d.Close()
	ents, err := d.ReadDir(-1)
	if err != nil {
		return fmt.Errorf("reading directory %s: %w", abs, err)
	}
	fd := int(d.Fd())
	canAdopt := fi.Dev == b.repoDev
	for _, e := range ents {
		if b.failed() {
			return nil
		}
		name := e.Name()
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("fstatat(%s): %w", filepath.Join(abs, name), err)
		}
		cfi := statInfo(&st)
		childAbs := abs + "/" + name
		childRel := joinRel(rel, name)
		if err := validateName(name); err != nil {
			return err
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			if b.mod != nil {
				if _, skip := b.mod.apply(b.mode, childRel, cfi); skip {
					continue
				}
			}
			sub, err := t.EnsureDir(ctx, name)
			if err != nil {
				return err
			}
			if err := b.walkDir(ctx, sub, childAbs, childRel, cfi); err != nil {
				return err
			}
			continue
		case unix.S_IFREG:
		case unix.S_IFLNK:
			target, err := os.Readlink(childAbs)
			if err != nil {
				return err
			}
			if err := validateTarget(childRel, target); err != nil {
				return err
			}
			cfi.Target = target
		default:
			return fmt.Errorf("Not a regular file or symlink: %s", childRel)
		}
		if err := b.walkContent(ctx, t, name, childAbs, childRel, cfi, canAdopt); err != nil {
			return err
		}
	}
	return nil
}

// walkContent adds a regular file or symlink (libostree's
// write_content_to_mtree_internal).
func (b *Builder) walkContent(ctx context.Context, t *Tree, name, abs, rel string, fi FileInfo, canAdopt bool) error {
	var (
		loose    object.Checksum
		hit      bool
		srcXattr object.Xattrs
		haveSrcX bool
	)
	if b.devino != nil {
		loose, hit = b.devino[devIno{fi.Dev, fi.Ino}]
		if hit && b.mod != nil && b.mod.DevinoCanonical {
			b.mu.Lock()
			b.stats.ContentCacheHits++
			b.mu.Unlock()
			return t.ReplaceFile(ctx, name, loose)
		}
		if hit && b.mode == repo.ModeBareUser {
			// Take the real ownership and xattrs from the object the
			// checkout hardlinked, not from the file on disk.
			h, err := b.objectHeader(ctx, loose)
			if err != nil {
				return err
			}
			fi.UID, fi.GID, fi.Mode = h.UID, h.GID, h.Mode
			srcXattr, haveSrcX = h.Xattrs, true
		}
	}
	mfi, skip := b.mod.apply(b.mode, rel, fi)
	if skip {
		return nil
	}
	skipX := b.mod.skipXattrs(b.mode) || b.disableXattrs()
	modified := !fi.equal(&mfi) || skipX
	if hit && !modified {
		b.mu.Lock()
		b.stats.ContentCacheHits++
		b.mu.Unlock()
		return t.ReplaceFile(ctx, name, loose)
	}
	adopt := false
	if canAdopt && mfi.isReg() && b.mod != nil && b.mod.Consume {
		switch b.mode {
		case repo.ModeBare:
			adopt = !modified
		case repo.ModeBareUserOnly:
			adopt = true
		}
	}
	ref := &fileRef{}
	if err := t.replaceFile(ctx, name, ref); err != nil {
		return err
	}
	j := &pathJob{ref: ref, path: abs, rel: rel, fi: mfi, adopt: adopt}
	if !skipX {
		if haveSrcX {
			j.xattrs = srcXattr
		} else {
			j.readXattrs = true
		}
	}
	b.goWork(mfi.Size, func(ctx context.Context) error { return b.storePath(ctx, j) })
	return nil
}

func (b *Builder) objectHeader(ctx context.Context, c object.Checksum) (*object.FileHeader, error) {
	h, rc, _, err := b.repo.LoadFile(ctx, c)
	if err != nil {
		return nil, err
	}
	rc.Close()
	return h, nil
}

// Consume deletes the directory sources given with Modifier.Consume; call
// it after the transaction is committed. "." is emptied, not removed.
func (b *Builder) Consume(ctx context.Context) error {
	var errs []error
	for _, p := range b.consumed {
		if filepath.Clean(p) != "." {
			errs = append(errs, os.RemoveAll(p))
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, e := range ents {
			errs = append(errs, os.RemoveAll(filepath.Join(p, e.Name())))
		}
	}
	b.consumed = nil
	return errors.Join(errs...)
}

// validateName applies libostree's filename rules with its messages.
func validateName(name string) error {
	if err := object.ValidateFilename(name); err != nil {
		switch {
		case name == "":
			return fmt.Errorf("Invalid empty filename")
		case name == ".":
			return fmt.Errorf("Invalid self-referential filename '.'")
		case name == "..":
			return fmt.Errorf("Invalid path uplink filename '..'")
		case containsByte(name, '/'):
			return fmt.Errorf("Invalid / in filename %s", name)
		case containsByte(name, 0):
			return fmt.Errorf("Invalid NUL in filename %q", name)
		default:
			return fmt.Errorf("Invalid UTF-8 in filename %s", name)
		}
	}
	return nil
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// validateTarget rejects symlink targets that cannot be stored: the
// target is a GVariant string, so it must be valid UTF-8 without NULs.
func validateTarget(path, target string) error {
	if !utf8.ValidString(target) || containsByte(target, 0) {
		return fmt.Errorf("Invalid UTF-8 in symlink target of %s", path)
	}
	if target == "" {
		return fmt.Errorf("Invalid empty symlink target of %s", path)
	}
	return nil
}
