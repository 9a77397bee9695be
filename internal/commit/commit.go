package commit

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/cfsostree"
	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/repo"
)

// Metadata keys the commit path writes.
const (
	KeyRefBinding        = "ostree.ref-binding"
	KeyCollectionBinding = "ostree.collection-binding"
	KeyBootable          = "ostree.bootable"
	KeyLinux             = "ostree.linux"
	KeySizes             = "ostree.sizes"
)

// TreeSource is one layer: "dir" (a directory), "tar" (an archive file,
// "-" for Options.Stdin) or "ref" (a commit).
type TreeSource struct {
	Kind string
	Arg  string
}

// ParseTreeSource parses a --tree=KIND=ARG argument.
func ParseTreeSource(s string) (TreeSource, error) {
	kind, arg, ok := strings.Cut(s, "=")
	if !ok {
		return TreeSource{}, fmt.Errorf("Missing type in tree specification '%s'", s)
	}
	return TreeSource{Kind: kind, Arg: arg}, nil
}

// Options describe a commit (the `ostree commit` options).
type Options struct {
	Branch string // refspec "[remote:]ref"; empty needs Orphan
	Orphan bool
	// Parent is a checksum, "none", or empty for the branch's head.
	Parent        string
	Subject, Body string
	Base          string // start from this commit (no modifiers apply)
	Trees         []TreeSource
	Stdin         io.Reader // for tar=-
	Modifier      *Modifier // nil for none
	// LinkCheckoutSpeedup reuses checksums of files hard-linked to repo
	// objects.
	LinkCheckoutSpeedup bool
	Archive             ArchiveOptions
	SkipIfUnchanged     bool
	NoBindings          bool
	BindRefs            []string
	// Metadata is the user metadata in order (strings, then variants);
	// KeepMetadata keys are copied from the parent after it.
	Metadata         object.Metadata
	KeepMetadata     []string
	DetachedMetadata object.Metadata
	Bootable         bool
	// ComposefsMetadata stores the composefs image digest of the tree as
	// ostree.composefs.digest.v0 (--generate-composefs-metadata).
	ComposefsMetadata bool
	// Timestamp overrides the commit time; otherwise SOURCE_DATE_EPOCH
	// (through Getenv) or Now.
	Timestamp  *uint64
	GPGSign    []string // key IDs to sign the commit with
	GPGHomedir string
	// Sign holds secret keys for the libostree signature type SignType.
	Sign         []string
	SignType     string
	Getenv       func(string) string
	Now          func() time.Time
	DisableFsync bool
}

// Result is what Run did.
type Result struct {
	Commit  object.Checksum
	Skipped bool // --skip-if-unchanged found the parent's tree
	Stats   Stats
}

func (o *Options) getenv(k string) string {
	if o.Getenv == nil {
		return os.Getenv(k)
	}
	return o.Getenv(k)
}

// Run builds and writes a commit, then points the branch at it, in one
// transaction: on error nothing becomes visible.
func Run(ctx context.Context, r *repo.Repo, o Options) (Result, error) {
	if o.Branch == "" && !o.Orphan {
		return Result{}, fmt.Errorf("A branch must be specified with --branch, or use --orphan")
	}
	var spec ref.Spec
	if o.Branch != "" {
		var err error
		if spec, err = ref.ParseSpec(o.Branch); err != nil {
			return Result{}, fmt.Errorf("Invalid refspec %s", o.Branch)
		}
	}
	var parent object.Checksum
	switch {
	case o.Parent == "none":
	case o.Parent != "":
		c, err := object.ParseChecksum(o.Parent)
		if err != nil {
			return Result{}, fmt.Errorf("Invalid rev %s", o.Parent)
		}
		parent = c
	case !o.Orphan:
		c, err := r.ResolveRev(ctx, o.Branch, true)
		if err != nil {
			return Result{}, err
		}
		parent = c
	}
	if parent.IsZero() && len(o.KeepMetadata) > 0 {
		return Result{}, fmt.Errorf("Either --branch or --parent must be specified when using --keep-metadata")
	}
	md := append(object.Metadata(nil), o.Metadata...)
	if len(o.KeepMetadata) > 0 {
		pc, err := r.LoadCommit(ctx, parent)
		if err != nil {
			return Result{}, err
		}
		for _, k := range o.KeepMetadata {
			v, ok := lookupLast(pc.Metadata, k)
			if !ok {
				return Result{}, fmt.Errorf("Missing metadata key '%s' from commit '%s'", k, parent)
			}
			md = append(md, object.MetaEntry{Key: k, Value: v})
		}
	}
	if o.DisableFsync {
		r.SetFsync(false)
	}
	txn, err := r.Begin(ctx)
	if err != nil {
		return Result{}, err
	}
	defer txn.Abort()
	b := NewBuilder(ctx, txn, o.Modifier)
	if o.LinkCheckoutSpeedup {
		if err := b.ScanHardlinks(ctx); err != nil {
			return Result{}, err
		}
	}
	if o.Base != "" {
		c, err := r.ResolveRev(ctx, o.Base, false)
		if err != nil {
			return Result{}, err
		}
		t, err := NewTreeFromCommit(ctx, r, c)
		if err != nil {
			return Result{}, err
		}
		b.SetRoot(t)
	}
	trees := o.Trees
	if len(trees) == 0 {
		trees = []TreeSource{{Kind: "dir", Arg: "."}}
	}
	for _, ts := range trees {
		if err := b.addSource(ctx, r, ts, &o); err != nil {
			return Result{}, err
		}
	}
	if err := o.Modifier.checkUnmatched(); err != nil {
		return Result{}, err
	}
	contents, meta, err := b.WriteTree(ctx)
	if err != nil {
		return Result{}, err
	}
	if o.SkipIfUnchanged && !parent.IsZero() {
		pc, err := r.LoadCommit(ctx, parent)
		if err != nil {
			return Result{}, err
		}
		if pc.RootTree == contents && pc.RootMeta == meta {
			res := Result{Commit: parent, Skipped: true, Stats: b.Stats()}
			return res, b.Consume(ctx)
		}
	}
	if !o.NoBindings {
		md = addBindings(md, r.CollectionID(), o.Branch, o.BindRefs)
	}
	if o.Bootable {
		if md, err = b.addBootable(ctx, md); err != nil {
			return Result{}, err
		}
	}
	if o.ComposefsMetadata {
		// The tree's objects are still staged: read them through txn.
		d, err := cfsostree.Digest(ctx, txn, contents, meta)
		if err != nil {
			return Result{}, err
		}
		md = dictOrder(append(md, cfsostree.DigestEntry(d)))
	}
	var ts uint64
	switch {
	case o.Timestamp != nil:
		ts = *o.Timestamp
	case o.getenv("SOURCE_DATE_EPOCH") != "":
		if ts, err = SourceDateEpoch(o.getenv("SOURCE_DATE_EPOCH")); err != nil {
			return Result{}, err
		}
	default:
		now := time.Now
		if o.Now != nil {
			now = o.Now
		}
		ts = uint64(now().Unix())
	}
	cm := &object.Commit{
		Metadata: md, Parent: parent, Subject: o.Subject, Body: o.Body, Timestamp: ts,
		RootTree: contents, RootMeta: meta,
	}
	c, err := b.WriteCommit(ctx, cm)
	if err != nil {
		return Result{}, err
	}
	stats := b.Stats()
	if err := writeDetached(ctx, r, txn, c, cm, &o); err != nil {
		return Result{}, err
	}
	if o.Branch != "" {
		txn.SetRef(spec.Remote, spec.Ref, &c)
	}
	if o.getenv("OSTREE_REPO_TEST_ERROR") == "pre-commit" {
		txn.Keep()
		return Result{}, fmt.Errorf("OSTREE_REPO_TEST_ERROR_PRE_COMMIT")
	}
	if err := txn.Commit(ctx); err != nil {
		return Result{}, err
	}
	if err := r.DeleteObject(ctx, c, object.TypeTombstoneCommit); err != nil && !errors.Is(err, os.ErrNotExist) {
		return Result{}, err
	}
	res := Result{Commit: c, Stats: stats}
	if err := b.Consume(ctx); err != nil {
		return res, err
	}
	return res, nil
}

func lookupLast(md object.Metadata, k string) (gvariant.Variant, bool) {
	var v gvariant.Variant
	found := false
	for _, e := range md {
		if e.Key == k {
			v, found = e.Value, true
		}
	}
	return v, found
}

// addBindings appends ostree.ref-binding (the branch and --bind-ref
// refs, sorted) and, unless present, ostree.collection-binding.
func addBindings(md object.Metadata, collectionID, branch string, bind []string) object.Metadata {
	refs := []any{}
	var names []string
	if branch != "" {
		names = append(names, branch)
	}
	names = append(names, bind...)
	sort.Strings(names)
	for _, n := range names {
		refs = append(refs, n)
	}
	md = append(md, object.MetaEntry{Key: KeyRefBinding, Value: gvariant.NewVariant("as", refs)})
	if collectionID != "" {
		if _, ok := md.Lookup(KeyCollectionBinding); !ok {
			md = append(md, object.MetaEntry{Key: KeyCollectionBinding, Value: gvariant.NewVariant("s", collectionID)})
		}
	}
	return md
}

func (b *Builder) addSource(ctx context.Context, r *repo.Repo, ts TreeSource, o *Options) error {
	switch ts.Kind {
	case "dir":
		return b.AddDir(ctx, ts.Arg)
	case "tar":
		var in io.Reader
		if ts.Arg == "-" {
			in = o.Stdin
			if in == nil {
				in = os.Stdin
			}
		} else {
			f, err := os.Open(ts.Arg)
			if err != nil {
				abs, _ := filepath.Abs(ts.Arg)
				return fmt.Errorf("archive_read_open_filename: Failed to open '%s'", abs)
			}
			defer f.Close()
			in = f
		}
		return b.AddArchive(ctx, in, o.Archive)
	case "ref":
		c, err := r.ResolveRev(ctx, ts.Arg, false)
		if err != nil {
			return err
		}
		return b.AddCommit(ctx, c)
	}
	return fmt.Errorf("Invalid tree type specification '%s'", ts.Kind)
}

// WriteTree waits for the content objects and writes the dirtrees,
// returning the root dirtree and dirmeta checksums.
func (b *Builder) WriteTree(ctx context.Context) (object.Checksum, object.Checksum, error) {
	if err := b.wait(ctx); err != nil {
		return object.Checksum{}, object.Checksum{}, err
	}
	// No more content: let the I/O buffers go before the metadata phase.
	repo.ReleaseWriters()
	bufPool.drain()
	slabs.drain()
	meta, ok := b.root.Metadata()
	if !ok {
		return object.Checksum{}, object.Checksum{}, errEmptyTree
	}
	contents, err := b.root.write(ctx, b)
	if err != nil {
		return object.Checksum{}, object.Checksum{}, fmt.Errorf("mtree: %w", err)
	}
	if err := b.flushDirTrees(ctx); err != nil {
		return object.Checksum{}, object.Checksum{}, err
	}
	return contents, meta, nil
}

// WriteCommit adds ostree.sizes (when generating sizes) to c's metadata
// and stores the commit object.
func (b *Builder) WriteCommit(ctx context.Context, c *object.Commit) (object.Checksum, error) {
	b.mu.Lock()
	sizes := b.sizes
	b.sizes = nil
	b.mu.Unlock()
	if len(sizes) > 0 {
		c.Metadata = append(c.Metadata, object.MetaEntry{Key: KeySizes, Value: gvariant.NewVariant("aay", sizesValue(sizes))})
	}
	for _, e := range c.Metadata {
		if e.Key == "" {
			return object.Checksum{}, fmt.Errorf("Empty metadata key")
		}
	}
	data, err := object.MarshalCommit(c)
	if err != nil {
		return object.Checksum{}, err
	}
	b.mu.Lock()
	b.stats.MetadataTotal++
	b.mu.Unlock()
	return b.txn.WriteMetadata(ctx, object.TypeCommit, data)
}

// sizesValue builds ostree.sizes: per object, sorted by checksum, the
// checksum, varint stored size, varint unpacked size and the type.
func sizesValue(sizes map[object.Checksum]sizeEntry) []any {
	keys := make([]object.Checksum, 0, len(sizes))
	for c := range sizes {
		keys = append(keys, c)
	}
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i][:], keys[j][:]) < 0 })
	out := make([]any, 0, len(keys))
	for _, c := range keys {
		e := sizes[c]
		buf := append([]byte(nil), c[:]...)
		buf = binary.AppendUvarint(buf, uint64(e.archived))
		buf = binary.AppendUvarint(buf, uint64(e.unpacked))
		buf = append(buf, byte(e.typ))
		out = append(out, buf)
	}
	return out
}

// addBootable adds ostree.bootable and ostree.linux (the kernel version
// found under usr/lib/modules) the way libostree does, through a
// GVariantDict, which reorders the dictionary.
func (b *Builder) addBootable(ctx context.Context, md object.Metadata) (object.Metadata, error) {
	kver, err := findKernel(ctx, b.root)
	if err != nil {
		return nil, err
	}
	md = append(md,
		object.MetaEntry{Key: KeyBootable, Value: gvariant.NewVariant("b", true)},
		object.MetaEntry{Key: KeyLinux, Value: gvariant.NewVariant("s", kver)})
	return dictOrder(md), nil
}

// dictOrder round-trips md through a GVariantDict: later duplicates
// replace earlier values, and the order becomes GHashTable order.
func dictOrder(md object.Metadata) object.Metadata {
	keys := make([]string, len(md))
	vals := map[string]gvariant.Variant{}
	for i, e := range md {
		keys[i] = e.Key
		vals[e.Key] = e.Value
	}
	var out object.Metadata
	for _, k := range gHashOrder(keys) {
		out = append(out, object.MetaEntry{Key: k, Value: vals[k]})
	}
	return out
}

func findKernel(ctx context.Context, root *Tree) (string, error) {
	dir := root
	for _, c := range []string{"usr", "lib", "modules"} {
		_, sub, err := dir.lookup(ctx, c)
		if err != nil || sub == nil {
			return "", fmt.Errorf("Opening usr/lib/modules: No such file or directory: %w", errdefs.ErrNotFound)
		}
		dir = sub
	}
	if err := dir.makeWhole(ctx); err != nil {
		return "", err
	}
	names := make([]string, 0, len(dir.dirs))
	for n := range dir.dirs {
		names = append(names, n)
	}
	sort.Strings(names)
	kver := ""
	for _, n := range names {
		sub := dir.dirs[n]
		if err := sub.makeWhole(ctx); err != nil {
			return "", err
		}
		_, isFile := sub.files["vmlinuz"]
		_, isDir := sub.dirs["vmlinuz"]
		if !isFile && !isDir {
			continue
		}
		if kver != "" {
			return "", fmt.Errorf("Multiple kernels found in /usr/lib/modules")
		}
		kver = n
	}
	if kver == "" {
		return "", fmt.Errorf("No kernel found in /usr/lib/modules")
	}
	return kver, nil
}

// writeDetached stores the commit's detached metadata: the given keys
// (which replace what was there), then signatures. A new commit's
// metadata is staged in the transaction, so it appears with the commit.
func writeDetached(ctx context.Context, r *repo.Repo, txn *repo.Txn, c object.Checksum, cm *object.Commit, o *Options) error {
	if len(o.DetachedMetadata) == 0 && len(o.Sign) == 0 && len(o.GPGSign) == 0 {
		return nil
	}
	md, err := r.LoadDetachedMetadata(ctx, c)
	if err != nil {
		return err
	}
	if len(o.DetachedMetadata) > 0 {
		md = append(object.Metadata(nil), o.DetachedMetadata...)
	}
	if len(o.Sign) > 0 {
		data, err := object.MarshalCommit(cm)
		if err != nil {
			return err
		}
		if md, err = signCommit(ctx, md, data, o.SignType, o.Sign, o.getenv); err != nil {
			return err
		}
	}
	if len(o.GPGSign) > 0 {
		data, err := object.MarshalCommit(cm)
		if err != nil {
			return err
		}
		for _, key := range o.GPGSign {
			sig, err := gpgDetachSign(ctx, data, key, o.GPGHomedir)
			if err != nil {
				return err
			}
			md = appendSignature(md, KeyGPGSigs, sig)
		}
	}
	if exists, err := r.HasObject(ctx, c, object.TypeCommitMeta); err != nil {
		return err
	} else if exists {
		return r.WriteDetachedMetadata(ctx, c, md)
	}
	data, err := object.MarshalMetadata(md)
	if err != nil {
		return err
	}
	return txn.WriteMetadataAs(ctx, c, object.TypeCommitMeta, data)
}
