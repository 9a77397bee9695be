package pull

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fetch"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/object"
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
	// CountMissingDetached: see HTTPOptions.
	CountMissingDetached bool
	// NetworkRetries is `--network-retries`; negative means
	// fetch.DefaultRetries.
	NetworkRetries int
	// HTTPHeaders are added to every request (`--http-header`).
	HTTPHeaders http.Header
	// AppendUserAgent is appended to the User-Agent.
	AppendUserAgent string
	// DisableStaticDeltas and RequireStaticDeltas are the delta
	// switches; deltas are used by default (not into archive repos).
	DisableStaticDeltas, RequireStaticDeltas bool
	// DryRun (with RequireStaticDeltas) only fetches the delta
	// superblocks and reports their sizes in Stats.Deltas.
	DryRun bool
	// CacheDir holds the summary cache (DIR/summaries); "" disables it.
	CacheDir string
	// GPGVerifyCommit checks a commit's signatures for remotes with
	// gpg-verify (the default); nil means the check fails, naming what
	// is missing, since this build cannot verify signatures yet.
	GPGVerifyCommit func(ctx context.Context, remote string, c object.Checksum, commit, detached []byte) error
	// GPGVerifySummary checks summary.sig for remotes with
	// gpg-verify-summary; nil makes such pulls fail.
	GPGVerifySummary func(ctx context.Context, remote string, summary, sig []byte) error
	// SignVerifyCommit and SignVerifySummary check signapi (ed25519,
	// dummy) signatures for remotes with sign-verify or
	// sign-verify-summary; nil means the remote's configured keys.
	SignVerifyCommit  func(ctx context.Context, remote string, c object.Checksum, commit, detached []byte) error
	SignVerifySummary func(ctx context.Context, remote string, summary, sig []byte) error
	// summaryOnly marks FetchSummary's use of the endpoint.
	summaryOnly bool
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
	opts.Progress.setPhase(PhaseResolve)
	ep, err := openEndpoint(ctx, dst, name, &opts)
	if err != nil {
		return RemoteResult{}, err
	}
	defer ep.client.Close()
	opts.Progress.setBytesSource(ep.client.BytesTransferred)
	cfg, isURL, client, meta, content, preloaded := ep.cfg, ep.isURL, ep.client, ep.meta, ep.content, ep.preloaded
	gpgVerify, gpgVerifySummary := ep.gpgVerify, ep.gpgVerifySummary
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
	if ep.signVerify {
		gpg, sv := o.VerifyCommit, opts.SignVerifyCommit
		o.VerifyCommit = func(ctx context.Context, c object.Checksum, commit, detached []byte) error {
			if gpg != nil {
				if err := gpg(ctx, c, commit, detached); err != nil {
					return err
				}
			}
			return sv(ctx, remoteName, c, commit, detached)
		}
	}

	if dst.Mode() == repo.ModeArchive && opts.RequireStaticDeltas {
		return RemoteResult{}, errors.New("Can't use static deltas in an archive repo")
	}
	if meta[0].Scheme == "file" {
		// Local pulls copy objects, unless deltas are required (tests
		// use that to exercise deltas without a web server).
		if opts.RequireStaticDeltas {
			if o.Deltas, err = localDeltas(meta[0].Path, opts.DryRun); err != nil {
				return RemoteResult{}, err
			}
		}
		return pullLocal(ctx, dst, meta[0].Path, o, requireSummaryForMirror, start)
	}
	deltas := !opts.DisableStaticDeltas && dst.Mode() != repo.ModeArchive && !o.CommitOnly
	cid := ""
	if !isURL {
		cid, _ = cfg.CollectionID(name)
	}
	src := NewHTTPSource(HTTPOptions{Client: client, Meta: meta, Content: content, CollectionID: cid, CountMissingDetached: opts.CountMissingDetached})
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
		if err := ep.verifyPulledSummary(ctx, &opts, remoteName, &sum); err != nil {
			return RemoteResult{}, err
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
				tomb, err := remoteConfig.Bool("core", "tombstone-commits", false)
				if err != nil {
					return RemoteResult{}, err
				}
				src.SetTombstoneCommits(tomb)
			}
		}
	}
	if opts.RequireStaticDeltas && !indexedDeltas && !summaryHasDeltas {
		return RemoteResult{}, fmt.Errorf("Fetch configured to require static deltas, but no summary deltas or delta index found: %w", errdefs.ErrNotFound)
	}
	if deltas {
		o.Deltas = &DeltaOptions{Indexed: indexedDeltas, Require: opts.RequireStaticDeltas, DryRun: opts.DryRun, SignedSummary: gpgVerifySummary}
		if sum, _, _ := src.Summary(); sum != nil {
			o.Deltas.Summary = sum.StaticDeltas()
		}
	}

	o.Untrusted = true // HTTP objects are always verified, structure included
	o.KeepOnError = true
	fc := client.Concurrency()
	if o.Concurrency <= 0 {
		o.Concurrency = fc
	}
	if o.ContentConcurrency <= 0 {
		// A content import holds its request until the object is
		// written (it is streamed); an eighth of the requests stay free
		// for the metadata that the walk of the trees waits for.
		o.ContentConcurrency = max(1, fc-fc/8)
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
	st, err := Pull(ctx, dst, localRemoteSource(srcRepo, o.Mirror), o)
	if o.Deltas != nil {
		return DeltaPullResult(st, time.Since(start)), err
	}
	return RemoteResult{Stats: st, Local: true, Elapsed: time.Since(start)}, err
}

// DeltaPullResult reports a pull from a repository on disk that was
// required to use static deltas as libostree (2023 and later) does: as a
// fetch, since it takes the fetcher's path, with the delta indexes and
// superblocks among the loose objects and their bytes transferred.
func DeltaPullResult(st Stats, elapsed time.Duration) RemoteResult {
	return RemoteResult{
		Stats:            st,
		MetadataFetched:  st.Deltas.FilesFetched + st.MetadataImported,
		ContentFetched:   st.ContentImported,
		BytesTransferred: st.Deltas.FileBytes + int64(st.Deltas.FetchedSize),
		Elapsed:          elapsed,
	}
}
