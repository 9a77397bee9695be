package pull

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fetch"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/repo"
)

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
		// `ostree remote add-cookie` keeps the remote's cookies here.
		fo.CookieFile = remote.CookieJarPath(dst, name)
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

// endpoint is a remote's resolved settings: where its metadata and
// objects are, and how to verify them.
type endpoint struct {
	cfg                         *remote.Config
	name                        string
	isURL                       bool
	gpgVerify, gpgVerifySummary bool
	// signVerify and signVerifySummary: signapi verifiers are configured.
	signVerify, signVerifySummary bool
	client                        *fetch.Client
	meta, content                 []*url.URL
	// preloaded is the summary a metalink delivered.
	preloaded []byte
}

// openEndpoint reads remote name's configuration, makes its HTTP client
// and resolves its URLs (mirrorlists and metalinks included). The caller
// closes ep.client.
func openEndpoint(ctx context.Context, dst *repo.Repo, name string, opts *RemoteOptions) (*endpoint, error) {
	cfg, err := remote.Load(ctx, dst)
	if err != nil {
		return nil, err
	}
	ep := &endpoint{cfg: cfg, name: name, isURL: remote.IsFileURL(name)}
	if !ep.isURL {
		if _, err := cfg.Get(name); err != nil {
			return nil, fmt.Errorf("Remote \"%s\" not found: %w", name, errdefs.ErrNotFound)
		}
		if ep.gpgVerify, err = cfg.GPGVerify(name); err != nil {
			return nil, err
		}
		if ep.gpgVerifySummary, err = cfg.BoolOption(name, "gpg-verify-summary", false); err != nil {
			return nil, err
		}
		if err := ep.initSignapi(opts); err != nil {
			return nil, err
		}
		if s, _ := cfg.Option(name, "unconfigured-state", ""); s != "" {
			return nil, fmt.Errorf("remote unconfigured-state: %s", s)
		}
		// Only pulls refuse a custom backend; reading the summary fails
		// on the missing url instead, as in libostree.
		if s, _ := cfg.Option(name, "custom-backend", ""); s != "" && !opts.summaryOnly {
			return nil, fmt.Errorf("Cannot fetch via libostree - remote '%s' uses custom backend '%s'", name, s)
		}
	}
	metalinkURL := ""
	if !ep.isURL {
		metalinkURL, _ = cfg.Option(name, "metalink", "")
	}
	if ep.client, err = newClient(dst, cfg, name, ep.isURL, opts); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			ep.client.Close()
		}
	}()
	baseURL := opts.URL
	if metalinkURL != "" {
		mu, err := url.Parse(metalinkURL)
		if err != nil {
			return nil, fmt.Errorf("Failed to parse uri: %s: %w", metalinkURL, errdefs.ErrInvalid)
		}
		target, data, err := fetchMetalink(ctx, ep.client, mu, "summary")
		if err != nil {
			return nil, err
		}
		ep.meta, ep.preloaded = []*url.URL{dirURL(target)}, data
	} else {
		if baseURL == "" {
			if baseURL, err = cfg.URL(name); err != nil {
				if errors.Is(err, errdefs.ErrNotFound) {
					return nil, fmt.Errorf("No \"url\" option in remote \"%s\": %w", name, errdefs.ErrNotFound)
				}
				return nil, err
			}
		}
		if ep.meta, err = mirrorList(ctx, ep.client, baseURL); err != nil {
			return nil, err
		}
	}
	ep.content = ep.meta
	contentURL := ""
	if metalinkURL == "" {
		contentURL = opts.URL
	}
	if contentURL == "" && !ep.isURL {
		contentURL, _ = cfg.Option(name, "contenturl", "")
	}
	if contentURL != "" && contentURL != baseURL {
		if ep.content, err = mirrorList(ctx, ep.client, contentURL); err != nil {
			return nil, err
		}
	}
	ok = true
	return ep, nil
}
