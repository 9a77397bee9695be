package pull

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fetch"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/summary"
)

// HTTPSource reads a repository that a web server publishes (an archive
// repository served as static files): refs from its summary or from
// refs/heads/REF, objects from objects/. It is safe for concurrent use.
type HTTPSource struct {
	client       *fetch.Client
	meta         []*url.URL
	content      []*url.URL
	collectionID string

	sum      *summary.Summary
	sumBytes []byte
	sigBytes []byte

	mu          sync.Mutex
	commitSizes map[object.Checksum]uint64
	refColls    map[string]string

	tombstones   bool
	countMissing bool

	fetchedMeta    atomic.Int64
	fetchedContent atomic.Int64
}

var (
	_ Source          = (*HTTPSource)(nil)
	_ ArchiveFetcher  = (*HTTPSource)(nil)
	_ refCollection   = (*HTTPSource)(nil)
	_ TombstoneSource = (*HTTPSource)(nil)
)

// HTTPOptions configure an HTTPSource.
type HTTPOptions struct {
	Client *fetch.Client
	// Meta are the base URLs of summaries, refs, config and detached
	// metadata (the remote's url or mirrorlist); Content those of
	// objects (contenturl, defaulting to Meta).
	Meta, Content []*url.URL
	// CollectionID is the remote's configured collection-id, which
	// commits' bindings are checked against.
	CollectionID string
	// CountMissingDetached counts a commit's absent detached metadata as
	// a metadata object fetched, as libostree did before 2023 (its
	// 2022.7 suite asserts that count; 2025.2's asserts the new one).
	CountMissingDetached bool
}

// NewHTTPSource makes a source; SetSummary gives it the remote's summary
// when one was loaded.
func NewHTTPSource(opts HTTPOptions) *HTTPSource {
	content := opts.Content
	if len(content) == 0 {
		content = opts.Meta
	}
	return &HTTPSource{
		client:       opts.Client,
		meta:         opts.Meta,
		content:      content,
		collectionID: opts.CollectionID,
		commitSizes:  map[object.Checksum]uint64{},
		refColls:     map[string]string{},
		countMissing: opts.CountMissingDetached,
	}
}

// SetSummary makes s resolve refs through a summary (and its signature
// file, kept for mirroring).
func (s *HTTPSource) SetSummary(sum *summary.Summary, raw, sig []byte) {
	s.sum, s.sumBytes, s.sigBytes = sum, raw, sig
}

// SetTombstoneCommits records whether the remote keeps tombstones of
// deleted commits (its core.tombstone-commits).
func (s *HTTPSource) SetTombstoneCommits(on bool) { s.tombstones = on }

// TombstoneCommits implements TombstoneSource.
func (s *HTTPSource) TombstoneCommits() bool { return s.tombstones }

// Summary returns the summary in use, its bytes and summary.sig's, or
// nils.
func (s *HTTPSource) Summary() (*summary.Summary, []byte, []byte) {
	return s.sum, s.sumBytes, s.sigBytes
}

// Fetched counts the metadata objects (detached metadata included, even
// when there was none) and content objects downloaded, as libostree's
// pull statistics do.
func (s *HTTPSource) Fetched() (metadata, content int) {
	return int(s.fetchedMeta.Load()), int(s.fetchedContent.Load())
}

// ListRefs lists the summary's refs, those of other collections in its
// collection map included.
func (s *HTTPSource) ListRefs(ctx context.Context) ([]Ref, error) {
	if s.sum == nil {
		return nil, errors.New("Fetching all refs was requested in mirror mode, but remote repository does not have a summary")
	}
	main, _ := s.sum.CollectionID()
	var out []Ref
	add := func(cid string, refs []summary.Ref) {
		for _, r := range refs {
			s.noteRef(r.Checksum, r.CommitSize, r.Name, cid)
			out = append(out, Ref{Name: r.Name, Checksum: r.Checksum, CollectionID: cid})
		}
	}
	add(main, s.sum.Refs)
	cols, err := s.sum.Collections()
	if err != nil {
		return nil, err
	}
	for _, c := range cols {
		add(c.ID, c.Refs)
	}
	return out, nil
}

func (s *HTTPSource) noteRef(c object.Checksum, size uint64, name, cid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if size > 0 {
		s.commitSizes[c] = size
	}
	s.refColls[name] = cid
}

// ResolveRef looks name up in the summary or, without one, fetches
// refs/heads/NAME.
func (s *HTTPSource) ResolveRef(ctx context.Context, name string) (object.Checksum, error) {
	if s.sum != nil {
		r, ok := s.sum.FindRef(name)
		if !ok {
			return object.Checksum{}, fmt.Errorf("No such branch '%s' in repository summary: %w", name, errdefs.ErrNotFound)
		}
		cid, _ := s.sum.CollectionID()
		s.noteRef(r.Checksum, r.CommitSize, name, cid)
		return r.Checksum, nil
	}
	b, err := s.fetchBytes(ctx, &fetch.Request{Mirrors: s.meta, Path: "refs/heads/" + name, MaxSize: fetch.MaxMetadataSize, Priority: fetch.PriorityMetadata})
	if err != nil {
		return object.Checksum{}, err
	}
	text := strings.TrimRight(string(b), " \t\r\n")
	c, err := object.ParseChecksum(text)
	if err != nil || len(text) != 64 {
		return object.Checksum{}, fmt.Errorf("Fetching checksum for ref ((empty), %s): Invalid rev %s: %w", name, quash(text), errdefs.ErrInvalid)
	}
	return c, nil
}

// RefCollection is the collection of a ref resolved through the summary.
func (s *HTTPSource) RefCollection(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refColls[name]
}

// quash is libostree's quash_string_for_error_message: at most 64
// bytes, valid UTF-8, newlines as spaces.
func quash(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	return strings.ReplaceAll(s, "\n", " ")
}

// CollectionID is the remote's configured collection ID.
func (s *HTTPSource) CollectionID() string { return s.collectionID }

// objectPath is where a server keeps an object: loose, archive mode.
func objectPath(c object.Checksum, t object.Type) string {
	return "objects/" + object.LoosePath(c, t, true)
}

func (s *HTTPSource) fetchBytes(ctx context.Context, req *fetch.Request) ([]byte, error) {
	b, err := s.client.Fetch(ctx, req)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	data, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	return data, nil
}

// LoadMetadata downloads a metadata object. Its size is limited to the
// commit size the summary gives, or to 10 MiB.
func (s *HTTPSource) LoadMetadata(ctx context.Context, c object.Checksum, t object.Type) ([]byte, error) {
	max := int64(fetch.MaxMetadataSize)
	if t == object.TypeCommit {
		s.mu.Lock()
		if n, ok := s.commitSizes[c]; ok {
			max = int64(n)
		}
		s.mu.Unlock()
	}
	req := &fetch.Request{Mirrors: s.content, Path: objectPath(c, t), MaxSize: max, Priority: fetch.PriorityMetadata, Resumable: true}
	for {
		b, err := s.client.Fetch(ctx, req)
		if err != nil {
			return nil, err
		}
		data, err := b.Bytes()
		resumed := b.Resumed
		b.Close()
		if err != nil {
			return nil, err
		}
		if resumed && object.Sum(data) != c && !req.NoResume {
			// The earlier part may be stale: start over once.
			req.NoResume = true
			continue
		}
		s.fetchedMeta.Add(1)
		return data, nil
	}
}

// LoadDetachedMetadata downloads a commit's detached metadata; a missing
// file means there is none.
func (s *HTTPSource) LoadDetachedMetadata(ctx context.Context, c object.Checksum) ([]byte, error) {
	data, err := s.fetchBytes(ctx, &fetch.Request{Mirrors: s.meta, Path: objectPath(c, object.TypeCommitMeta), MaxSize: fetch.MaxMetadataSize, Priority: fetch.PriorityMetadata, Resumable: true})
	if errors.Is(err, errdefs.ErrNotFound) {
		if s.countMissing {
			s.fetchedMeta.Add(1)
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.fetchedMeta.Add(1)
	if data == nil {
		// An empty file is empty metadata (signatures deleted), not none.
		data = []byte{}
	}
	return data, nil
}

// FetchArchive streams content object c's .filez to fn as it arrives
// (nothing is buffered), once more from scratch when fn finds a resumed
// download corrupt.
func (s *HTTPSource) FetchArchive(ctx context.Context, c object.Checksum, fn func(io.Reader) error) error {
	req := &fetch.Request{Mirrors: s.content, Path: objectPath(c, object.TypeFile), Priority: fetch.PriorityContent, Resumable: true}
	for {
		resumed, err := s.client.Stream(ctx, req, fn)
		if err != nil && resumed && !req.NoResume && errors.Is(err, errdefs.ErrCorrupt) {
			req.NoResume = true
			continue
		}
		if err == nil {
			s.fetchedContent.Add(1)
		}
		return err
	}
}

// LoadFile downloads and opens a content object.
func (s *HTTPSource) LoadFile(ctx context.Context, c object.Checksum) (*object.FileHeader, io.ReadCloser, int64, error) {
	b, err := s.client.Fetch(ctx, &fetch.Request{Mirrors: s.content, Path: objectPath(c, object.TypeFile), Priority: fetch.PriorityContent, Resumable: true})
	if err != nil {
		return nil, nil, 0, err
	}
	h, size, payload, err := object.OpenArchive(b.Reader())
	if err != nil {
		b.Close()
		return nil, nil, 0, fmt.Errorf("Parsing %s.file: %w", c, err)
	}
	s.fetchedContent.Add(1)
	return h, payloadBody{payload, b}, int64(size), nil
}

// payloadBody is a downloaded .filez payload whose inflater goes back
// to the pool when the body is closed.
type payloadBody struct {
	*object.Payload
	b *fetch.Body
}

func (r payloadBody) Close() error {
	r.Release()
	return r.b.Close()
}

type bodyReader struct {
	io.Reader
	b *fetch.Body
}

func (r bodyReader) Close() error { return r.b.Close() }
