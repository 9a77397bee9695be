package pull

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fetch"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/summary"
)

type loadedSummary struct {
	data, sig []byte
	parsed    *summary.Summary
	// cached says data came from the summary cache: a pull that finds
	// it invalid fetches it again (verifyPulledSummary).
	cached bool
	// store updates the cache once the summary is verified (nil: no
	// update); cacheWith stores a summary downloaded again with sig.
	store     func() error
	cacheWith func(sum cachedFile) error
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
	out.cached = fromCache && preloaded == nil
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
	if out.sig != nil {
		if sigFile.data == nil {
			// The signature came from the cache (304): keep its
			// validators.
			sigFile = cachedFile{data: out.sig, etag: etag, modified: mod}
		}
		out.cacheWith = func(sum cachedFile) error { return cache.store(name, sum, sigFile, sync) }
		if !fromCache && sumFile.data != nil {
			out.store = func() error { return out.cacheWith(sumFile) }
		}
	}
	return out, nil
}

// FetchSummary downloads remote name's summary and summary.sig (nil when
// absent) through the summary cache, as
// ostree_repo_remote_fetch_summary_with_options does for `ostree remote
// refs` and `ostree remote summary`. With gpg-verify-summary the
// signature is checked by opts.GPGVerifySummary.
func FetchSummary(ctx context.Context, dst *repo.Repo, name string, opts RemoteOptions) (summaryBytes, sig []byte, err error) {
	opts.summaryOnly = true
	ep, err := openEndpoint(ctx, dst, name, &opts)
	if err != nil {
		return nil, nil, err
	}
	defer ep.client.Close()
	if ep.meta[0].Scheme == "file" {
		dir := ep.meta[0].Path
		if summaryBytes, err = readFileIfExists(filepath.Join(dir, "summary")); err != nil {
			return nil, nil, err
		}
		if sig, err = readFileIfExists(filepath.Join(dir, "summary.sig")); err != nil {
			return nil, nil, err
		}
	} else {
		cache := summaryCache{dir: opts.CacheDir}
		if ep.isURL {
			cache.dir = ""
		}
		// Checked below, with the words of _ostree_repo_verify_summary.
		sum, err := loadSummary(ctx, ep.client, ep.meta, cache, name, ep.preloaded, false, false, dst.FsyncEnabled())
		if err != nil {
			return nil, nil, err
		}
		if sum.store != nil {
			if err := sum.store(); err != nil {
				return nil, nil, err
			}
		}
		summaryBytes, sig = sum.data, sum.sig
	}
	if ep.gpgVerifySummary {
		if summaryBytes == nil {
			return nil, nil, fmt.Errorf("GPG verification enabled, but no summary found (check that the configured URL in remote config is correct): %w", errdefs.ErrNotFound)
		}
		if sig == nil {
			return nil, nil, errors.New("GPG verification enabled, but no summary signatures found (use gpg-verify-summary=false in remote config to disable)")
		}
		if opts.GPGVerifySummary == nil {
			return nil, nil, errSummaryVerifyUnsupported
		}
		if err := opts.GPGVerifySummary(ctx, ep.name, summaryBytes, sig); err != nil {
			return nil, nil, err
		}
	}
	if err := ep.checkFetchedSummary(ctx, &opts, summaryBytes, sig); err != nil {
		return nil, nil, err
	}
	return summaryBytes, sig, nil
}
