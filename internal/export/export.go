package export

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// Options configure an export.
type Options struct {
	// Subpath exports only this directory of the commit ("" for all).
	Subpath string
	// Prefix is prepended verbatim to every member name, as libostree
	// does: "dir/" puts everything under dir.
	Prefix string
	// PadRecord pads the stream to a whole 10240-byte tar record, which
	// libarchive does except when writing a regular file by name.
	PadRecord bool
}

// Tar writes commit (or opts.Subpath of it) to w as a GNU tar stream
// byte-identical to `ostree export`: one member per directory, file and
// symlink in libostree's order (each directory, then its files, then its
// subdirectories), the commit timestamp as every mtime, numeric owners
// and no extended attributes (the GNU format has none). Regular files
// sharing a content object after the first are hard links to it.
func Tar(ctx context.Context, r *repo.Repo, commit object.Checksum, w io.Writer, opts Options) error {
	tw := &tarWriter{w: w}
	if err := writeTree(ctx, r, commit, tw, opts); err != nil {
		// libarchive still ends the archive when the export fails.
		_ = tw.close(opts.PadRecord)
		return err
	}
	return tw.close(opts.PadRecord)
}

// Empty writes an archive with no members, which is what `ostree export`
// leaves behind when it fails before writing any.
func Empty(w io.Writer, padRecord bool) error {
	return (&tarWriter{w: w}).close(padRecord)
}

func writeTree(ctx context.Context, r *repo.Repo, commit object.Checksum, tw *tarWriter, opts Options) error {
	c, err := r.LoadCommit(ctx, commit)
	if err != nil {
		return err
	}
	root := repo.TreeEntry{Path: "/", Dir: true, Tree: c.RootTree, Meta: c.RootMeta}
	if opts.Subpath != "" {
		if root, err = r.ResolvePath(ctx, root, opts.Subpath); err != nil {
			return err
		}
		if !root.Dir {
			return fmt.Errorf("export %s: %w", opts.Subpath, repo.ErrNotDirectory)
		}
	}
	e := &exporter{ctx: ctx, r: r, opts: opts, mtime: int64(c.Timestamp), root: root.Path, tw: tw, first: map[object.Checksum]string{}}
	return e.dir(root)
}

type exporter struct {
	ctx   context.Context
	r     *repo.Repo
	opts  Options
	mtime int64
	root  string
	tw    *tarWriter
	// first names the member that carried each regular file's content;
	// later files with the same content object become hard links to it,
	// as libostree 2025.2 exports them (2022.7 repeated the data).
	first map[object.Checksum]string
}

// name is the member name of a tree path: relative to the exported root
// ("." for the root itself), after the prefix.
func (e *exporter) name(path string) string {
	var rel string
	switch {
	case path == e.root:
	case e.root == "/":
		rel = strings.TrimPrefix(path, "/")
	default:
		rel = strings.TrimPrefix(path, e.root+"/")
	}
	if e.opts.Prefix != "" {
		rel = e.opts.Prefix + rel
	}
	if rel == "" {
		rel = "."
	}
	return rel
}

func (e *exporter) dir(d repo.TreeEntry) error {
	if err := e.ctx.Err(); err != nil {
		return err
	}
	m, err := e.r.LoadDirMeta(e.ctx, d.Meta)
	if err != nil {
		return err
	}
	name := e.name(d.Path)
	if !strings.HasSuffix(name, "/") {
		name += "/"
	}
	if err := e.tw.writeHeader(&header{name: name, typeflag: typeDir, mode: m.Mode, uid: uint64(m.UID), gid: uint64(m.GID), mtime: e.mtime}); err != nil {
		return err
	}
	t, err := e.r.LoadDirTree(e.ctx, d.Tree)
	if err != nil {
		return err
	}
	for _, c := range d.Children(t) {
		if c.Dir {
			if err := e.dir(c); err != nil {
				return err
			}
			continue
		}
		if err := e.file(c); err != nil {
			return err
		}
	}
	return nil
}

func (e *exporter) file(f repo.TreeEntry) error {
	h, rc, size, err := e.r.LoadFile(e.ctx, f.Content)
	if err != nil {
		return err
	}
	defer rc.Close()
	th := &header{name: e.name(f.Path), mode: h.Mode, uid: uint64(h.UID), gid: uint64(h.GID), mtime: e.mtime}
	if h.IsSymlink() {
		th.typeflag, th.linkname = typeSymlink, h.Target
		return e.tw.writeHeader(th)
	}
	if target, ok := e.first[f.Content]; ok {
		th.typeflag, th.linkname = typeHardlink, target
		return e.tw.writeHeader(th)
	}
	e.first[f.Content] = th.name
	th.typeflag, th.size = typeReg, size
	if err := e.tw.writeHeader(th); err != nil {
		return err
	}
	return e.tw.copyData(rc, size, f.Path)
}
