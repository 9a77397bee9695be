package commit

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
)

// ArchiveOptions control importing a tar or cpio archive.
type ArchiveOptions struct {
	// AutocreateParents creates missing parent directories (0755, owned
	// by the entry's owner) instead of failing.
	AutocreateParents bool
	// TranslatePathname, if set, rewrites each entry's relative path
	// (--tar-pathname-filter).
	TranslatePathname func(path string) string
}

// archiveEntry is one entry of a tar or cpio archive.
type archiveEntry struct {
	path     string
	hardlink string // target path of a hard link, or ""
	fi       FileInfo
	xattrs   object.Xattrs
	body     io.Reader
}

// archiveReader iterates over entries; next returns io.EOF at the end.
type archiveReader interface {
	next() (*archiveEntry, error)
}

const defaultDirMode = object.ModeDir | 0o755

// openArchive detects the compression and format of r.
func openArchive(r io.Reader) (archiveReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(6)
	var src io.Reader = br
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		src = zr
	case bytes.HasPrefix(magic, []byte("BZh")):
		src = bzip2.NewReader(br)
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return nil, fmt.Errorf("xz-compressed archives are not supported")
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return nil, fmt.Errorf("zstd-compressed archives are not supported")
	}
	if src != io.Reader(br) {
		br = bufio.NewReaderSize(src, 64<<10)
	}
	head, _ := br.Peek(6)
	switch string(head) {
	case "070701", "070702", "070707":
		return newCpioReader(br), nil
	}
	if len(head) == 0 {
		return emptyArchive{}, nil
	}
	return &tarReader{tr: tar.NewReader(br)}, nil
}

type emptyArchive struct{}

func (emptyArchive) next() (*archiveEntry, error) { return nil, io.EOF }

type tarReader struct{ tr *tar.Reader }

func (t *tarReader) next() (*archiveEntry, error) {
	for {
		h, err := t.tr.Next()
		if err != nil {
			if err == io.EOF {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("reading tar archive: %w", err)
		}
		e := &archiveEntry{path: h.Name, body: t.tr}
		perm := uint32(h.Mode) & 0o7777
		e.fi = FileInfo{UID: uint32(h.Uid), GID: uint32(h.Gid)}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA, tar.TypeCont, tar.TypeGNUSparse:
			e.fi.Mode = object.ModeReg | perm
			e.fi.Size = h.Size
		case tar.TypeLink:
			e.fi.Mode = object.ModeReg | perm
			e.fi.Size = h.Size
			e.hardlink = h.Linkname
		case tar.TypeSymlink:
			e.fi.Mode = object.ModeLink | perm
			e.fi.Target = h.Linkname
		case tar.TypeDir:
			e.fi.Mode = object.ModeDir | perm
		case tar.TypeChar:
			e.fi.Mode = 0o020000 | perm
		case tar.TypeBlock:
			e.fi.Mode = 0o060000 | perm
		case tar.TypeFifo:
			e.fi.Mode = 0o010000 | perm
		default:
			continue // global headers and other metadata-only entries
		}
		for k, v := range h.PAXRecords {
			if name, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok {
				e.xattrs = append(e.xattrs, object.Xattr{Name: name, Value: []byte(v)})
			}
		}
		// archive/tar does not keep the records' order; use the canonical one.
		sort.Slice(e.xattrs, func(i, j int) bool { return e.xattrs[i].Name < e.xattrs[j].Name })
		return e, nil
	}
}

// pathRelative makes an archive path relative the way libostree does:
// leading slashes (and "/../" right after them) go, as do "./" and empty
// components; ".." anywhere else is an error.
func pathRelative(src string) (string, error) {
	for strings.HasPrefix(src, "/") {
		src = src[1:]
		if strings.HasPrefix(src, "../") {
			src = src[2:]
		}
	}
	for {
		if strings.HasPrefix(src, "./") {
			src = src[2:]
		} else if strings.HasPrefix(src, "/") {
			src = src[1:]
		} else {
			break
		}
	}
	if src == "." {
		src = ""
	}
	if _, err := splitPath(src); err != nil {
		return "", fmt.Errorf("While making relative path \"%s\":%w", src, err)
	}
	return src, nil
}

// splitPath splits a relative path, dropping "." and empty components
// and rejecting ".." (ot_util_path_split_validate).
func splitPath(p string) ([]string, error) {
	if len(p) > 4096 {
		return nil, fmt.Errorf("Path '%s' is too long", p)
	}
	var out []string
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "..":
			return nil, fmt.Errorf("Invalid uplink '..' in path %s", p)
		case ".", "":
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

func basename(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

type deferredLink struct {
	parent *Tree
	path   string
	size   int64
}

type archiveImport struct {
	b        *Builder
	opts     ArchiveOptions
	deferred map[string][]*deferredLink
	order    []string // deferred targets in first-seen order
}

// AddArchive overlays a tar or cpio archive (gzip or bzip2 compressed, or
// not) read from r (--tree=tar=FILE).
func (b *Builder) AddArchive(ctx context.Context, r io.Reader, opts ArchiveOptions) error {
	b.startLayer()
	ar, err := openArchive(r)
	if err != nil {
		return err
	}
	ai := &archiveImport{b: b, opts: opts, deferred: map[string][]*deferredLink{}}
	err = ai.run(ctx, ar)
	if werr := b.wait(ctx); werr != nil {
		return werr
	}
	return err
}

func (ai *archiveImport) finalPath(p string) (string, error) {
	rel, err := pathRelative(p)
	if err != nil {
		return "", err
	}
	if ai.opts.TranslatePathname != nil {
		rel = ai.opts.TranslatePathname(rel)
	}
	return rel, nil
}

func (ai *archiveImport) run(ctx context.Context, ar archiveReader) error {
	b := ai.b
	for {
		if b.failed() {
			return nil
		}
		e, err := ar.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := ai.importEntry(ctx, e); err != nil {
			return err
		}
	}
	for _, target := range ai.order {
		if err := ai.importDeferred(ctx, target, ai.deferred[target]); err != nil {
			return fmt.Errorf("ostree-tar: Processing deferred hardlink %s: %w", target, err)
		}
	}
	if _, ok := b.root.Metadata(); !ok && ai.opts.AutocreateParents {
		fi, _ := b.mod.apply(b.mode, "/", FileInfo{Mode: defaultDirMode})
		m, err := b.writeDirMeta(ctx, fi, nil)
		if err != nil {
			return err
		}
		b.root.SetMetadata(m)
	}
	return nil
}

func (ai *archiveImport) importEntry(ctx context.Context, e *archiveEntry) error {
	b := ai.b
	path, err := ai.finalPath(e.path)
	if err != nil {
		return err
	}
	for len(path) > 1 && strings.HasSuffix(path, "/") {
		path = path[:len(path)-1]
	}
	fi, skip := b.mod.apply(b.mode, "/"+path, e.fi)
	if skip {
		return nil
	}
	parent, err := ai.parentDir(ctx, path, e)
	if err != nil {
		return err
	}
	name := basename(path)
	switch fi.Mode & object.ModeFmt {
	case object.ModeDir:
		x, err := ai.xattrs(e)
		if err != nil {
			return err
		}
		dir := parent
		if name != "" {
			if err := validateName(name); err != nil {
				return fmt.Errorf("ostree-tar: Failed to handle directory: %w", err)
			}
			if dir, err = parent.EnsureDir(ctx, name); err != nil {
				return fmt.Errorf("ostree-tar: Failed to handle directory: %w", err)
			}
		}
		m, err := b.writeDirMeta(ctx, fi, x)
		if err != nil {
			return fmt.Errorf("ostree-tar: Failed to handle directory: %s: %w", path, err)
		}
		dir.SetMetadata(m)
		return nil
	case object.ModeReg, object.ModeLink:
	default:
		return fmt.Errorf("Unsupported file type for path \"%s\"", path)
	}
	var hardlink string
	if e.hardlink != "" {
		if hardlink, err = ai.finalPath(e.hardlink); err != nil {
			return fmt.Errorf("ostree-tar: Failed to handle file %s: hard link target: %w", path, err)
		}
	}
	if hardlink == "" || fi.Size > 0 {
		if err := ai.importFile(ctx, parent, name, path, fi, e); err != nil {
			return fmt.Errorf("ostree-tar: Failed to handle file: ostree-tar: Failed to import file: %w", err)
		}
	}
	if hardlink != "" {
		if _, ok := ai.deferred[hardlink]; !ok {
			ai.order = append(ai.order, hardlink)
		}
		ai.deferred[hardlink] = append(ai.deferred[hardlink], &deferredLink{parent, path, fi.Size})
	}
	return nil
}

func (ai *archiveImport) xattrs(e *archiveEntry) (object.Xattrs, error) {
	if ai.b.mod != nil && ai.b.mod.SkipXattrs {
		return nil, nil
	}
	return e.xattrs, nil
}

// parentDir returns the directory that will hold path, creating missing
// ones with --tar-autocreate-parents.
func (ai *archiveImport) parentDir(ctx context.Context, path string, e *archiveEntry) (*Tree, error) {
	b := ai.b
	comps, err := splitPath(path)
	if err != nil {
		return nil, err
	}
	if len(comps) == 0 {
		return b.root, nil
	}
	dir, err := b.root.walk(ctx, comps)
	if err == nil {
		return dir, nil
	}
	if !errors.Is(err, errdefs.ErrNotFound) || !ai.opts.AutocreateParents {
		return nil, err
	}
	// Like libostree, (re)write the dirmeta of every directory on the way,
	// owned by the entry's owner.
	fi := FileInfo{Mode: defaultDirMode, UID: e.fi.UID, GID: e.fi.GID}
	m, err := b.writeDirMeta(ctx, fi, nil)
	if err != nil {
		return nil, err
	}
	dir = b.root
	dir.SetMetadata(m)
	for _, c := range comps[:len(comps)-1] {
		if err := validateName(c); err != nil {
			return nil, err
		}
		sub, err := dir.EnsureDir(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("ostree-tar: Failed to create parent: %w", err)
		}
		m, err := b.writeDirMeta(ctx, fi, nil)
		if err != nil {
			return nil, err
		}
		sub.SetMetadata(m)
		dir = sub
	}
	return dir, nil
}

// importFile stores a regular file or symlink entry as name in parent.
func (ai *archiveImport) importFile(ctx context.Context, parent *Tree, name, path string, fi FileInfo, e *archiveEntry) error {
	b := ai.b
	if err := validateName(name); err != nil {
		return err
	}
	x, err := ai.xattrs(e)
	if err != nil {
		return err
	}
	if fi.isLink() {
		if err := validateTarget(path, fi.Target); err != nil {
			return err
		}
	}
	h := fi.header(x)
	if err := h.Validate(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	ref := &fileRef{}
	if err := parent.replaceFile(ctx, name, ref); err != nil {
		return err
	}
	if fi.isLink() {
		b.goWork(0, func(ctx context.Context) error { return b.storeBytes(ctx, ref, h, nil) })
		return nil
	}
	if fi.Size <= smallFile {
		buf := b.slabAlloc(int(fi.Size))
		if _, err := io.ReadFull(e.body, buf); err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		b.goWork(fi.Size, func(ctx context.Context) error { return b.storeBytes(ctx, ref, h, buf) })
		return nil
	}
	c, err := b.storeStream(ctx, h, fi.Size, io.LimitReader(e.body, fi.Size))
	ref.csum = c
	return err
}

// importDeferred points every hard link to target, and target itself,
// at the content of the first link that carried data.
func (ai *archiveImport) importDeferred(ctx context.Context, target string, links []*deferredLink) error {
	root := ai.b.root
	var payload *deferredLink
	for _, l := range links {
		if l.size > 0 {
			payload = l
			break
		}
	}
	if payload != nil {
		ref, _, err := payload.parent.lookup(ctx, basename(payload.path))
		if err != nil {
			return fmt.Errorf("Failed importing hardlink: %w", err)
		}
		comps, err := splitPath(target)
		if err != nil {
			return fmt.Errorf("Failed importing hardlink: %w", err)
		}
		if len(comps) == 0 {
			return fmt.Errorf("Failed importing hardlink: Expected hardlink file target at \"%s\" but found a directory", target)
		}
		parent, err := root.walk(ctx, comps)
		if err != nil {
			return fmt.Errorf("Failed importing hardlink: %w", err)
		}
		if ref == nil {
			return fmt.Errorf("Failed importing hardlink: %s is a directory", payload.path)
		}
		if err := parent.replaceFile(ctx, basename(target), ref); err != nil {
			return fmt.Errorf("Failed importing hardlink: %w", err)
		}
	}
	comps, err := splitPath(target)
	if err != nil {
		return fmt.Errorf("Failed to find object: %w", err)
	}
	if len(comps) == 0 {
		return fmt.Errorf("Failed to find object: Expected hardlink file target at \"%s\" but found a directory", target)
	}
	parent, err := root.walk(ctx, comps)
	if err != nil {
		return fmt.Errorf("Failed to find object: %w", err)
	}
	ref, sub, err := parent.lookup(ctx, basename(target))
	if err != nil {
		return fmt.Errorf("Failed to find object: %w", err)
	}
	if sub != nil {
		return fmt.Errorf("Failed to find object: Expected hardlink file target at \"%s\" but found a directory", target)
	}
	for _, l := range links {
		if l == payload {
			continue
		}
		if err := l.parent.replaceFile(ctx, basename(l.path), ref); err != nil {
			return fmt.Errorf("Failed to replace file: %w", err)
		}
	}
	return nil
}

// PathnameFilter compiles --tar-pathname-filter=REGEX,REPLACEMENT into a
// rewrite of every match (GRegex replacement syntax: \0..\9, \g<N>).
func PathnameFilter(spec string) (func(string) string, error) {
	comma := strings.IndexByte(spec, ',')
	if comma < 0 {
		return nil, fmt.Errorf("Missing ',' in --tar-pathname-filter")
	}
	re, err := regexp.Compile(spec[:comma])
	if err != nil {
		return nil, fmt.Errorf("--tar-pathname-filter: %w", err)
	}
	repl := translateReplacement(spec[comma+1:])
	return func(p string) string { return re.ReplaceAllString(p, repl) }, nil
}

var gBackref = regexp.MustCompile(`\\g<(\w+)>|\\([0-9]{1,2})|\\(.)|\$`)

// translateReplacement converts a GRegex replacement to Go's syntax.
func translateReplacement(s string) string {
	return gBackref.ReplaceAllStringFunc(s, func(m string) string {
		switch {
		case m == "$":
			return "$$"
		case strings.HasPrefix(m, `\g<`):
			return "${" + m[3:len(m)-1] + "}"
		case len(m) >= 2 && m[1] >= '0' && m[1] <= '9':
			return "${" + m[1:] + "}"
		}
		switch m[1] {
		case 'n':
			return "\n"
		case 't':
			return "\t"
		case 'r':
			return "\r"
		}
		return m[1:]
	})
}
