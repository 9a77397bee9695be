package delta

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// Generate writes a static delta from opts.From (or from nothing) to
// opts.To: its parts and then its superblock, in the repository's
// deltas/ directory or at opts.Filename. Like libostree it does not touch
// the summary or the delta indexes (`summary -u` and `static-delta
// reindex` do).
//
// Objects are read, diffed and compressed in parallel with bounded
// memory: a part's data is held once, while it is built and compressed.
func Generate(ctx context.Context, r *repo.Repo, opts GenerateOptions) (*GenerateStats, error) {
	setGenerateDefaults(&opts)
	id := ID{From: opts.From, To: opts.To}
	commit, err := r.LoadMetadata(ctx, opts.To, object.TypeCommit)
	if err != nil {
		return nil, err
	}
	var dir, name string
	if opts.Filename != "" {
		dir, name = filepath.Dir(opts.Filename), filepath.Base(opts.Filename)
		if st, err := os.Stat(dir); err != nil {
			return nil, err
		} else if !st.IsDir() {
			return nil, fmt.Errorf("%s: %w", dir, repo.ErrNotDirectory)
		}
	} else {
		dir, name = filepath.Join(r.Path(), filepath.FromSlash(id.Dir())), "superblock"
		if err := os.MkdirAll(dir, 0o775); err != nil {
			return nil, err
		}
	}

	p, err := makePlan(ctx, r, opts.From, opts.To, &opts)
	if err != nil {
		return nil, err
	}
	stats := &GenerateStats{
		ID: id, Modified: len(p.modified),
		NewMeta: p.newMeta, NewRegular: p.newRegular, NewSymlinks: p.newSymlinks,
	}
	g := &generator{r: r, opts: &opts, dir: dir, stats: stats}
	parts, err := g.run(ctx, p)
	defer func() {
		for _, pt := range parts {
			if pt != nil && pt.tmp != "" {
				os.Remove(pt.tmp)
			}
		}
	}()
	if err != nil {
		return nil, err
	}
	for _, pt := range parts {
		stats.Parts = append(stats.Parts, PartStats{Objects: pt.objects, Size: pt.header.Size, USize: pt.header.USize})
	}
	for _, f := range p.fallbacks {
		stored, err := r.ObjectStorageSize(f.csum, object.TypeFile)
		if err != nil {
			return nil, err
		}
		stats.Fallbacks = append(stats.Fallbacks, Fallback{
			Type: object.TypeFile, Checksum: f.csum, Size: uint64(stored), USize: uint64(f.info.size),
		})
	}
	sb, err := g.superblock(ctx, id, commit, parts)
	if err != nil {
		return nil, err
	}
	if !opts.Inline {
		for i, pt := range parts {
			if err := g.install(pt.tmp, strconv.Itoa(i)); err != nil {
				return nil, err
			}
			pt.tmp = ""
		}
	}
	data, err := sb.Marshal()
	if err != nil {
		return nil, err
	}
	if opts.Signer != nil && len(opts.SignKeys) > 0 {
		if data, err = signSuperblock(ctx, &opts, data); err != nil {
			return nil, err
		}
	}
	if err := g.writeFile(name, data); err != nil {
		return nil, err
	}
	return stats, nil
}

func setGenerateDefaults(o *GenerateOptions) {
	if o.MinFallbackSize == 0 {
		o.MinFallbackSize = DefaultMinFallbackSize
	}
	if o.MaxBsdiffSize == 0 {
		o.MaxBsdiffSize = DefaultMaxBsdiffSize
	}
	if o.MaxChunkSize <= 0 {
		o.MaxChunkSize = DefaultMaxChunkSize
	}
	if o.Endianness == EndianInvalid {
		o.Endianness = EndianLittle
	}
}

type generator struct {
	r     *repo.Repo
	opts  *GenerateOptions
	dir   string
	stats *GenerateStats
}

// builtPart is a compressed part waiting in a temporary file.
type builtPart struct {
	tmp     string
	header  PartHeader
	objects int
}

// superblock assembles the superblock: user metadata, the endianness,
// inline parts, the TO commit's detached metadata, then the fixed fields.
func (g *generator) superblock(ctx context.Context, id ID, commit []byte, parts []*builtPart) (*Superblock, error) {
	sb := &Superblock{
		Timestamp:  uint64(time.Now().Unix()),
		From:       id.From,
		To:         id.To,
		Commit:     commit,
		Fallbacks:  g.stats.Fallbacks,
		Endianness: g.opts.Endianness,
	}
	sb.Metadata = append(sb.Metadata, g.opts.Metadata...)
	sb.Metadata = append(sb.Metadata, object.MetaEntry{Key: KeyEndianness, Value: gvariant.NewVariant("y", byte(g.opts.Endianness))})
	for i, pt := range parts {
		sb.Parts = append(sb.Parts, pt.header)
		if g.opts.Inline {
			data, err := os.ReadFile(pt.tmp)
			if err != nil {
				return nil, err
			}
			v := gvariant.NewVariant("(yay)", []any{data[0], data[1:]})
			sb.Metadata = append(sb.Metadata, object.MetaEntry{Key: id.PartPath(i), Value: v})
		}
	}
	md, err := g.r.LoadDetachedMetadata(ctx, id.To)
	if err != nil {
		return nil, err
	}
	if md != nil {
		b, err := object.MarshalMetadata(md)
		if err != nil {
			return nil, err
		}
		v, err := gvariant.Unmarshal(gvariant.MustType("a{sv}"), b)
		if err != nil {
			return nil, err
		}
		sb.Metadata = append(sb.Metadata, object.MetaEntry{Key: id.CommitMetaKey(), Value: gvariant.NewVariant("a{sv}", v)})
	}
	return sb, nil
}

// signSuperblock wraps the superblock bytes with one signature per key.
func signSuperblock(ctx context.Context, opts *GenerateOptions, data []byte) ([]byte, error) {
	s := opts.Signer
	sigs := make([]any, 0, len(opts.SignKeys))
	for _, k := range opts.SignKeys {
		if err := s.SetSecretKey(k); err != nil {
			return nil, err
		}
		sig, err := s.Sign(ctx, data)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, sig)
	}
	signed := &Signed{Superblock: data, Signatures: object.Metadata{{Key: s.MetadataKey(), Value: gvariant.NewVariant("aay", sigs)}}}
	return signed.Marshal()
}

// writeFile atomically writes data as dir/name, mode 0644.
func (g *generator) writeFile(name string, data []byte) error {
	f, err := os.CreateTemp(g.dir, ".tmp-delta-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = g.finishFile(f)
	} else {
		f.Close()
	}
	if err == nil {
		err = g.install(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// finishFile sets a written temporary file's mode, syncs it when the
// repository syncs, and closes it.
func (g *generator) finishFile(f *os.File) error {
	err := f.Chmod(0o644)
	if err == nil && g.r.FsyncEnabled() {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// install renames a finished temporary file into place.
func (g *generator) install(tmp, name string) error {
	if err := os.Rename(tmp, filepath.Join(g.dir, name)); err != nil {
		return err
	}
	if g.r.FsyncEnabled() {
		d, err := os.Open(g.dir)
		if err != nil {
			return err
		}
		defer d.Close()
		return d.Sync()
	}
	return nil
}

// compressPart writes a part file, the compression byte then the xz
// stream, to a temporary file, hashing it on the way.
func (g *generator) compressPart(payload []byte) (string, object.Checksum, uint64, error) {
	f, err := os.CreateTemp(g.dir, ".tmp-part-")
	if err != nil {
		return "", object.Checksum{}, 0, err
	}
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(f, h)}
	_, err = cw.Write([]byte{CompressionXZ})
	if err == nil {
		err = compressXZ(cw, payload)
	}
	if err == nil {
		err = g.finishFile(f)
	} else {
		f.Close()
	}
	if err != nil {
		os.Remove(f.Name())
		return "", object.Checksum{}, 0, err
	}
	return f.Name(), object.HashSum(h), uint64(cw.n), nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
