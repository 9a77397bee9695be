package pull

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fetch"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/summary"
)

// RemoteOptions configure PullRemote.
type RemoteOptions struct {
	// Options are the walk's options. Remote is set from the remote's
	// name; with Mirror the refs become local refs.
	Options
	// URL replaces the remote's url, and its contenturl (`--url`).
	URL string
	// NetworkRetries is `--network-retries`; negative means
	// fetch.DefaultRetries.
	NetworkRetries int
	// HTTPHeaders are added to every request (`--http-header`).
	HTTPHeaders http.Header
	// AppendUserAgent is appended to the User-Agent.
	AppendUserAgent string
	// DisableStaticDeltas and RequireStaticDeltas are the delta
	// switches; deltas are not implemented, so requiring them fails.
	DisableStaticDeltas, RequireStaticDeltas bool
	// CacheDir holds the summary cache (DIR/summaries); "" disables it.
	CacheDir string
	// GPGVerifyCommit checks a commit's signatures for remotes with
	// gpg-verify (the default); nil means the check fails, naming what
	// is missing, since this build cannot verify signatures yet.
	GPGVerifyCommit func(ctx context.Context, remote string, c object.Checksum, commit, detached []byte) error
	// GPGVerifySummary checks summary.sig for remotes with
	// gpg-verify-summary; nil makes such pulls fail.
	GPGVerifySummary func(ctx context.Context, remote string, summary, sig []byte) error
	// Fetch tunes the HTTP client (concurrency, timeouts, backoff);
	// retries, headers, TLS and the temporary directory are filled in.
	Fetch fetch.Options
}

// RemoteResult reports what PullRemote did.
type RemoteResult struct {
	Stats
	// Local reports an import from a file:// remote; the counts are then
	// Stats' imported ones.
	Local bool
	// MetadataFetched and ContentFetched count downloads (detached
	// metadata included, found or not, as libostree counts).
	MetadataFetched, ContentFetched int
	BytesTransferred                int64
	Requests                        int64
	Elapsed                         time.Duration
}

// PullRemote pulls from the configured remote name, or from a file://
// URL given in its place, as `ostree pull` does: it reads the remote's
// settings, resolves the refs through the summary (or refs/heads/REF
// when there is none), walks and downloads what dst lacks, and moves
// the refs (refs/remotes/NAME/REF, or local refs when mirroring) only
// once every object is stored.
func PullRemote(ctx context.Context, dst *repo.Repo, name string, opts RemoteOptions) (RemoteResult, error) {
	start := time.Now()
	cfg, err := remote.Load(ctx, dst)
	if err != nil {
		return RemoteResult{}, err
	}
	isURL := remote.IsFileURL(name)
	gpgVerify, gpgVerifySummary := false, false
	if !isURL {
		if _, err := cfg.Get(name); err != nil {
			return RemoteResult{}, fmt.Errorf("Remote \"%s\" not found: %w", name, errdefs.ErrNotFound)
		}
		if gpgVerify, err = cfg.GPGVerify(name); err != nil {
			return RemoteResult{}, err
		}
		if gpgVerifySummary, err = cfg.BoolOption(name, "gpg-verify-summary", false); err != nil {
			return RemoteResult{}, err
		}
		if s, _ := cfg.Option(name, "unconfigured-state", ""); s != "" {
			return RemoteResult{}, fmt.Errorf("remote unconfigured-state: %s", s)
		}
		if s, _ := cfg.Option(name, "custom-backend", ""); s != "" {
			return RemoteResult{}, fmt.Errorf("Cannot fetch via libostree - remote '%s' uses custom backend '%s'", name, s)
		}
	}
	metalinkURL := ""
	if !isURL {
		metalinkURL, _ = cfg.Option(name, "metalink", "")
	}
	client, err := newClient(dst, cfg, name, isURL, &opts)
	if err != nil {
		return RemoteResult{}, err
	}
	defer client.Close()
	var meta []*url.URL
	var preloaded []byte // the summary, when a metalink gave it
	baseURL := opts.URL
	if metalinkURL != "" {
		mu, err := url.Parse(metalinkURL)
		if err != nil {
			return RemoteResult{}, fmt.Errorf("Failed to parse uri: %s: %w", metalinkURL, errdefs.ErrInvalid)
		}
		target, data, err := fetchMetalink(ctx, client, mu, "summary")
		if err != nil {
			return RemoteResult{}, err
		}
		meta, preloaded = []*url.URL{dirURL(target)}, data
	} else {
		if baseURL == "" {
			if baseURL, err = cfg.URL(name); err != nil {
				if errors.Is(err, errdefs.ErrNotFound) {
					return RemoteResult{}, fmt.Errorf("No \"url\" option in remote \"%s\": %w", name, errdefs.ErrNotFound)
				}
				return RemoteResult{}, err
			}
		}
		if meta, err = mirrorList(ctx, client, baseURL); err != nil {
			return RemoteResult{}, err
		}
	}
	content := meta
	contentURL := ""
	if metalinkURL == "" {
		contentURL = opts.URL
	}
	if contentURL == "" && !isURL {
		contentURL, _ = cfg.Option(name, "contenturl", "")
	}
	if contentURL != "" && contentURL != baseURL {
		if content, err = mirrorList(ctx, client, contentURL); err != nil {
			return RemoteResult{}, err
		}
	}
	var branches []string
	if !isURL {
		branches, _ = cfg.ListOption(name, "branches")
	}
	remoteName := name
	if isURL {
		remoteName = ""
	}
	o := opts.Options
	o.Remote = remoteName
	requireSummaryForMirror := o.Mirror && len(o.Refs) == 0 && len(branches) == 0
	if len(o.Refs) == 0 && !requireSummaryForMirror {
		if len(branches) == 0 {
			return RemoteResult{}, fmt.Errorf("No configured branches for remote %s", name)
		}
		o.Refs = branches
	}
	if gpgVerify {
		o.VerifyCommit = commitVerifier(remoteName, opts.GPGVerifyCommit)
	}

	if meta[0].Scheme == "file" && !opts.RequireStaticDeltas {
		return pullLocal(ctx, dst, meta[0].Path, o, requireSummaryForMirror, start)
	}

	if dst.Mode() == repo.ModeArchive && opts.RequireStaticDeltas {
		return RemoteResult{}, errors.New("Can't use static deltas in an archive repo")
	}
	deltas := !opts.DisableStaticDeltas && dst.Mode() != repo.ModeArchive && !o.CommitOnly
	cid := ""
	if !isURL {
		cid, _ = cfg.CollectionID(name)
	}
	src := NewHTTPSource(HTTPOptions{Client: client, Meta: meta, Content: content, CollectionID: cid})
	needSummary := requireSummaryForMirror || !allHaveCommits(o.Refs, o.Overrides) || preloaded != nil
	indexedDeltas := false
	var remoteConfig *keyfile.File
	if !needSummary && deltas {
		if remoteConfig, err = loadRemoteConfig(ctx, client, meta); err != nil {
			return RemoteResult{}, err
		}
		if indexedDeltas, err = remoteConfig.Bool("core", "indexed-deltas", false); err != nil {
			return RemoteResult{}, err
		}
		needSummary = !indexedDeltas
	}
	summaryHasDeltas := false
	if needSummary {
		cache := summaryCache{dir: opts.CacheDir}
		if isURL {
			cache.dir = ""
		}
		sum, err := loadSummary(ctx, client, meta, cache, name, preloaded, gpgVerifySummary, requireSummaryForMirror, dst.FsyncEnabled())
		if err != nil {
			return RemoteResult{}, err
		}
		if sum.data != nil && gpgVerifySummary {
			if opts.GPGVerifySummary == nil {
				return RemoteResult{}, fmt.Errorf("GPG verification of the summary enabled, but signature verification is not supported by this build yet (use gpg-verify-summary=false in remote config to disable): %w", errdefs.ErrNotSupported)
			}
			if err := opts.GPGVerifySummary(ctx, remoteName, sum.data, sum.sig); err != nil {
				return RemoteResult{}, err
			}
		}
		if sum.parsed != nil {
			src.SetSummary(sum.parsed, sum.data, sum.sig)
			summaryHasDeltas = len(sum.parsed.StaticDeltas()) > 0
			if b, ok := sum.parsed.Metadata.Lookup(summary.KeyIndexedDeltas); ok && b.Type.String() == "b" {
				indexedDeltas = b.Value.(bool)
			}
			_, hasMode := sum.parsed.Metadata.String(summary.KeyMode)
			_, hasTomb := sum.parsed.Metadata.Lookup(summary.KeyTombstoneCommits)
			if hasMode && hasTomb {
				// libostree 2022.7 reads the config only in this case.
				if remoteConfig == nil {
					if remoteConfig, err = loadRemoteConfig(ctx, client, meta); err != nil {
						return RemoteResult{}, err
					}
				}
				mode, ok := remoteConfig.String("core", "mode")
				if !ok {
					mode = "bare"
				}
				m, err := repo.ParseMode(mode)
				if err != nil {
					return RemoteResult{}, err
				}
				if m != repo.ModeArchive {
					return RemoteResult{}, fmt.Errorf("Can't pull from archives with mode \"%s\"", mode)
				}
			}
		}
	}
	if opts.RequireStaticDeltas {
		if !indexedDeltas && !summaryHasDeltas {
			return RemoteResult{}, fmt.Errorf("Fetch configured to require static deltas, but no summary deltas or delta index found: %w", errdefs.ErrNotFound)
		}
		return RemoteResult{}, fmt.Errorf("static deltas are not supported yet: %w", errdefs.ErrNotSupported)
	}

	o.Untrusted = true // HTTP objects are always verified, structure included
	o.KeepOnError = true
	fc := client.Concurrency()
	if o.Concurrency <= 0 {
		o.Concurrency = fc
	}
	if o.ContentConcurrency <= 0 {
		o.ContentConcurrency = fc + runtime.NumCPU()
	}
	st, err := Pull(ctx, dst, src, o)
	res := RemoteResult{Stats: st, BytesTransferred: client.BytesTransferred(), Requests: client.Requests(), Elapsed: time.Since(start)}
	res.MetadataFetched, res.ContentFetched = src.Fetched()
	if err != nil {
		return res, err
	}
	if _, raw, sig := src.Summary(); requireSummaryForMirror && raw != nil {
		// A full mirror publishes the remote's summary too.
		if err := fsx.WriteFileAtomic(filepath.Join(dst.Path(), "summary"), raw, 0o644, dst.FsyncEnabled()); err != nil {
			return res, err
		}
		if sig != nil {
			if err := fsx.WriteFileAtomic(filepath.Join(dst.Path(), "summary.sig"), sig, 0o644, dst.FsyncEnabled()); err != nil {
				return res, err
			}
		}
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// allHaveCommits reports whether every requested ref (checksums aside)
// is pinned to a commit, so that no summary is needed to resolve them.
func allHaveCommits(refs []string, overrides map[string]object.Checksum) bool {
	for _, r := range refs {
		if object.IsChecksumString(r) {
			continue
		}
		if _, ok := overrides[r]; !ok {
			return false
		}
	}
	return true
}

func newClient(dst *repo.Repo, cfg *remote.Config, name string, isURL bool, opts *RemoteOptions) (*fetch.Client, error) {
	fo := opts.Fetch
	fo.Retries = opts.NetworkRetries
	if fo.Retries < 0 {
		fo.Retries = fetch.DefaultRetries
	}
	fo.TmpDir = filepath.Join(dst.Path(), "tmp")
	fo.Header = opts.HTTPHeaders
	fo.ExtraUserAgent = opts.AppendUserAgent
	if !isURL {
		var err error
		if fo.TLSPermissive, err = cfg.BoolOption(name, "tls-permissive", false); err != nil {
			return nil, err
		}
		fo.TLSCAFile, _ = cfg.Option(name, "tls-ca-path", "")
		fo.TLSClientCert, _ = cfg.Option(name, "tls-client-cert-path", "")
		fo.TLSClientKey, _ = cfg.Option(name, "tls-client-key-path", "")
		if (fo.TLSClientCert == "") != (fo.TLSClientKey == "") {
			return nil, fmt.Errorf("Remote \"%s\" must specify both \"tls-client-cert-path\" and \"tls-client-key-path\"", name)
		}
		fo.Proxy, _ = cfg.Option(name, "proxy", "")
		http2, err := cfg.BoolOption(name, "http2", true)
		if err != nil {
			return nil, err
		}
		fo.DisableHTTP2 = !http2
	}
	return fetch.New(fo)
}

// mirrorList turns a url option into base URLs: one URL, or the http(s)
// entries of the list that `mirrorlist=URL` names, the first of which
// must serve a config file.
func mirrorList(ctx context.Context, client *fetch.Client, s string) ([]*url.URL, error) {
	if list, ok := strings.CutPrefix(s, "mirrorlist="); ok {
		lu, err := url.Parse(list)
		if err != nil {
			return nil, fmt.Errorf("Failed to parse uri: %s: %w", list, errdefs.ErrInvalid)
		}
		b, err := client.Fetch(ctx, &fetch.Request{Mirrors: []*url.URL{lu}, MaxSize: fetch.MaxMetadataSize, Priority: fetch.PriorityMetadata})
		if err != nil {
			return nil, fmt.Errorf("While fetching mirrorlist '%s': %w", list, err)
		}
		data, _ := b.Bytes()
		b.Close()
		var out []*url.URL
		for _, m := range fetch.ParseMirrorlist(data) {
			if len(out) == 0 {
				// Probe until one works, so that requests do not keep
				// failing over from a dead first mirror.
				cb, err := client.Fetch(ctx, &fetch.Request{Mirrors: []*url.URL{m}, Path: "config", MaxSize: fetch.MaxMetadataSize, Priority: fetch.PriorityMetadata})
				if err != nil {
					continue
				}
				cb.Close()
			}
			out = append(out, m)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("No valid mirrors were found in mirrorlist '%s'", list)
		}
		return out, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("Failed to parse uri: %s: %w", s, errdefs.ErrInvalid)
	}
	switch u.Scheme {
	case "http", "https", "file":
	default:
		return nil, fmt.Errorf("Invalid URI scheme in %s: %w", s, errdefs.ErrInvalid)
	}
	return []*url.URL{u}, nil
}

// loadRemoteConfig fetches and parses the remote repository's config.
func loadRemoteConfig(ctx context.Context, client *fetch.Client, meta []*url.URL) (*keyfile.File, error) {
	b, err := client.Fetch(ctx, &fetch.Request{Mirrors: meta, Path: "config", MaxSize: fetch.MaxMetadataSize, Priority: fetch.PriorityMetadata})
	if err != nil {
		return nil, err
	}
	defer b.Close()
	data, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	kf, err := keyfile.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("Parsing config: %w", err)
	}
	return kf, nil
}

type loadedSummary struct {
	data, sig []byte
	parsed    *summary.Summary
}

// loadSummary fetches summary.sig and summary, both optional, through
// the summary cache: a cached pair is reused when the server says the
// signature did not change, or serves the same one.
func loadSummary(ctx context.Context, client *fetch.Client, meta []*url.URL, cache summaryCache, name string, preloaded []byte, gpgVerifySummary, required, sync bool) (loadedSummary, error) {
	optional := func(req *fetch.Request) (*fetch.Body, error) {
		b, err := client.Fetch(ctx, req)
		if errors.Is(err, errdefs.ErrNotFound) {
			return nil, nil
		}
		return b, err
	}
	var out loadedSummary
	var sumFile, sigFile cachedFile
	fromCache := false
	etag, mod := cache.props(name, ".sig")
	sb, err := optional(&fetch.Request{Mirrors: meta, Path: "summary.sig", MaxSize: fetch.MaxMetadataSize, Priority: fetch.PriorityMetadata, IfNoneMatch: etag, IfModifiedSince: mod})
	if err != nil {
		return out, err
	}
	if sb != nil {
		if sb.NotModified {
			if out.sig, err = cache.load(name, ".sig"); err != nil {
				return out, err
			}
			if out.data, err = cache.load(name, ""); err != nil {
				return out, err
			}
		} else {
			out.sig, _ = sb.Bytes()
			sigFile = cachedFile{data: out.sig, etag: sb.ETag, modified: sb.LastModified}
		}
		sb.Close()
	}
	if out.sig != nil && out.data == nil {
		if out.data, err = cache.loadIfSameSig(name, out.sig); err != nil {
			return out, err
		}
	}
	fromCache = out.data != nil
	if preloaded != nil {
		out.data, fromCache = preloaded, true // not cached again
	}
	if out.data == nil {
		etag, mod := cache.props(name, "")
		b, err := optional(&fetch.Request{Mirrors: meta, Path: "summary", MaxSize: fetch.MaxMetadataSize, Priority: fetch.PriorityMetadata, IfNoneMatch: etag, IfModifiedSince: mod})
		if err != nil {
			return out, err
		}
		if b != nil {
			if b.NotModified {
				out.data, err = cache.load(name, "")
			} else {
				out.data, err = b.Bytes()
				sumFile = cachedFile{data: out.data, etag: b.ETag, modified: b.LastModified}
			}
			b.Close()
			if err != nil {
				return out, err
			}
		}
	}
	if out.data == nil && gpgVerifySummary {
		return out, fmt.Errorf("GPG verification enabled, but no summary found (use gpg-verify-summary=false in remote config to disable): %w", errdefs.ErrNotFound)
	}
	if out.data == nil && required {
		return out, errors.New("Fetching all refs was requested in mirror mode, but remote repository does not have a summary")
	}
	if out.sig == nil && gpgVerifySummary {
		return out, errors.New("GPG verification enabled, but no summary.sig found (use gpg-verify-summary=false in remote config to disable)")
	}
	if out.data == nil {
		return out, nil
	}
	if out.parsed, err = summary.Unmarshal(out.data); err != nil {
		return out, fmt.Errorf("Not normal form: %w", err)
	}
	if !fromCache && out.sig != nil && sigFile.data != nil && sumFile.data != nil {
		if err := cache.store(name, sumFile, sigFile, sync); err != nil {
			return out, err
		}
	}
	return out, nil
}

// pullLocal imports from a repository on this machine (a file://
// remote), as libostree does: objects are hard-linked or copied, trusted
// unless Untrusted is set.
func pullLocal(ctx context.Context, dst *repo.Repo, path string, o Options, mirrorAll bool, start time.Time) (RemoteResult, error) {
	srcRepo, err := repo.Open(ctx, path)
	if err != nil {
		return RemoteResult{}, err
	}
	if mirrorAll {
		// Like libostree, a full mirror takes the refs from the summary.
		raw, err := readFileIfExists(filepath.Join(path, "summary"))
		if err != nil {
			return RemoteResult{}, err
		}
		if raw == nil {
			return RemoteResult{}, errors.New("Fetching all refs was requested in mirror mode, but remote repository does not have a summary")
		}
		sum, err := summary.Unmarshal(raw)
		if err != nil {
			return RemoteResult{}, fmt.Errorf("Not normal form: %w", err)
		}
		for _, r := range sum.Refs {
			o.Refs = append(o.Refs, r.Name)
		}
		if len(o.Refs) == 0 {
			return RemoteResult{Local: true, Elapsed: time.Since(start)}, nil
		}
	}
	st, err := Pull(ctx, dst, NewLocalSource(srcRepo), o)
	return RemoteResult{Stats: st, Local: true, Elapsed: time.Since(start)}, err
}

// commitVerifier is the gpg-verify hook: verify when the caller can,
// otherwise fail with what libostree would say when there are no
// signatures, or say that verification is unsupported.
func commitVerifier(remoteName string, verify func(ctx context.Context, remote string, c object.Checksum, commit, detached []byte) error) func(context.Context, object.Checksum, []byte, []byte) error {
	return func(ctx context.Context, c object.Checksum, commit, detached []byte) error {
		if verify != nil {
			return verify(ctx, remoteName, c, commit, detached)
		}
		if !hasGPGSignatures(detached) {
			return fmt.Errorf("Commit %s: GPG verification enabled, but no signatures found (use gpg-verify=false in remote config to disable): %w", c, errdefs.ErrInvalid)
		}
		return fmt.Errorf("Commit %s: GPG verification enabled, but signature verification is not supported by this build yet (use gpg-verify=false in remote config to disable): %w", c, errdefs.ErrNotSupported)
	}
}

func hasGPGSignatures(detached []byte) bool {
	if detached == nil {
		return false
	}
	md, err := object.UnmarshalMetadata(detached)
	if err != nil {
		return false
	}
	v, ok := md.Lookup("ostree.gpgsigs")
	if !ok {
		return false
	}
	sigs, _ := v.Value.([]any)
	return len(sigs) > 0
}
