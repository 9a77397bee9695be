package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Defaults for Options fields left zero.
const (
	// DefaultRetries is how many times libostree retries a download that
	// failed transiently (--network-retries).
	DefaultRetries = 5
	// DefaultConcurrency bounds parallel requests. libostree keeps 8 in
	// flight, so that a pull of thousands of small objects costs one
	// round trip per 8 objects; 64 hides latency 8 times better, and one
	// keep-alive connection per slot (or HTTP/2 streams) costs servers
	// little. Streamed bodies (Stream) wait in socket buffers, so memory
	// does not grow with it.
	DefaultConcurrency = 64
	// DefaultUserAgent is what libostree 2025.2 sends; `ostree --version`
	// reports the same release (the suites compare the two).
	DefaultUserAgent = "libostree/2025.2"
	// MaxMetadataSize is OSTREE_MAX_METADATA_SIZE, the default limit for
	// metadata objects, summaries and other small files.
	MaxMetadataSize = 10 << 20

	defaultStallTimeout   = 60 * time.Second
	defaultConnectTimeout = 30 * time.Second
	defaultBackoff        = 100 * time.Millisecond
	maxBackoff            = 5 * time.Second
	// memLimit is the largest body kept in memory; larger ones go to a
	// file.
	memLimit = 256 << 10
)

// Options configure a Client. The zero value is usable, except that
// Retries zero means no retries: callers pass DefaultRetries (or the
// user's --network-retries).
type Options struct {
	// Concurrency bounds the requests in flight; 0 means
	// DefaultConcurrency.
	Concurrency int
	// Retries is how many more attempts a transiently failing download
	// gets.
	Retries int
	// Backoff is the delay before the first retry; it doubles (with
	// jitter) up to 5 s. 0 means 100 ms.
	Backoff time.Duration
	// StallTimeout fails a request that receives nothing for this long
	// (a transient failure); 0 means 60 s.
	StallTimeout time.Duration
	// ConnectTimeout bounds connection setup; 0 means 30 s.
	ConnectTimeout time.Duration
	// UserAgent replaces DefaultUserAgent; ExtraUserAgent is appended
	// (--append-user-agent).
	UserAgent, ExtraUserAgent string
	// Header holds extra request headers (--http-header).
	Header http.Header
	// TLSPermissive disables certificate verification (tls-permissive).
	TLSPermissive bool
	// TLSCAFile replaces the system roots (tls-ca-path).
	TLSCAFile string
	// TLSClientCert and TLSClientKey authenticate the client
	// (tls-client-cert-path, tls-client-key-path).
	TLSClientCert, TLSClientKey string
	// Proxy is an explicit proxy URL (the remote's proxy option); the
	// environment's proxy settings apply otherwise.
	Proxy string
	// DisableHTTP2 keeps to HTTP/1.1 (http2=false).
	DisableHTTP2 bool
	// CookieFile is a Netscape cookie file whose matching cookies go
	// with every request (REPO/REMOTE.cookies.txt); it is read once, and
	// a missing file means no cookies.
	CookieFile string
	// TmpDir keeps partial downloads of resumable requests between
	// processes (a repository's tmp/); "" keeps them in memory only.
	TmpDir string
	// Transport replaces the client's own transport (tests); TLS, proxy
	// and timeout options are then ignored.
	Transport http.RoundTripper
}

// Client downloads files. It is safe for concurrent use.
type Client struct {
	opts     Options
	hc       *http.Client
	sem      *sema
	bytes    atomic.Int64
	requests atomic.Int64
	partials *partials
	cookies  []cookie
}

// New makes a Client.
func New(opts Options) (*Client, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Retries < 0 {
		opts.Retries = 0
	}
	if opts.Backoff <= 0 {
		opts.Backoff = defaultBackoff
	}
	if opts.StallTimeout <= 0 {
		opts.StallTimeout = defaultStallTimeout
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = defaultConnectTimeout
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.ExtraUserAgent != "" {
		opts.UserAgent += " " + opts.ExtraUserAgent
	}
	opts.Header, opts.UserAgent = customHeaders(opts.Header, opts.UserAgent)
	rt := opts.Transport
	if rt == nil {
		tr, err := newTransport(&opts)
		if err != nil {
			return nil, err
		}
		rt = tr
	}
	c := &Client{
		opts: opts,
		hc:   &http.Client{Transport: rt},
		sem:  newSema(opts.Concurrency),
	}
	if opts.TmpDir != "" {
		c.partials = loadPartials(opts.TmpDir)
	}
	if opts.CookieFile != "" {
		var err error
		if c.cookies, err = loadCookies(opts.CookieFile); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// customHeaders applies extra headers as curl applies CURLOPT_HTTPHEADER:
// a header with a blank value is not sent, and a User-Agent replaces the
// default one, appended text included.
func customHeaders(h http.Header, userAgent string) (http.Header, string) {
	out := http.Header{}
	for k, vs := range h {
		for _, v := range vs {
			if strings.TrimSpace(v) == "" {
				continue
			}
			if http.CanonicalHeaderKey(k) == "User-Agent" {
				userAgent = v
				continue
			}
			out.Add(k, v)
		}
	}
	return out, userAgent
}

// proxyURL parses a proxy as curl's CURLOPT_PROXY does:
// [scheme://][user:password@]host[:port], with http the default scheme
// and 1080 (443 for https) the default port.
func proxyURL(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("proxy %q: %w", s, err)
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("proxy %q: unsupported scheme %q", s, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("proxy %q: no host", s)
	}
	if u.Port() == "" {
		port := "1080"
		if u.Scheme == "https" {
			port = "443"
		}
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	return u, nil
}

// verifyHostOnly is tls-permissive's check: libostree's curl fetcher turns
// off certificate chain verification (CURLOPT_SSL_VERIFYPEER) but still
// requires the certificate to name the host. Go leaves ServerName empty
// for IP address hosts, which are then not checked.
func verifyHostOnly(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("tls: server sent no certificate")
	}
	if cs.ServerName == "" {
		return nil
	}
	return cs.PeerCertificates[0].VerifyHostname(cs.ServerName)
}

func newTransport(opts *Options) (*http.Transport, error) {
	tlsConf := &tls.Config{InsecureSkipVerify: opts.TLSPermissive} //nolint:gosec // tls-permissive asks for it; verifyHostOnly still checks the name
	if opts.TLSPermissive {
		tlsConf.VerifyConnection = verifyHostOnly
	}
	if opts.TLSCAFile != "" {
		pem, err := os.ReadFile(opts.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls-ca-path: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls-ca-path %s: no certificates found", opts.TLSCAFile)
		}
		tlsConf.RootCAs = pool
	}
	if opts.TLSClientCert != "" || opts.TLSClientKey != "" {
		cert, err := tls.LoadX509KeyPair(opts.TLSClientCert, opts.TLSClientKey)
		if err != nil {
			return nil, fmt.Errorf("tls client certificate: %w", err)
		}
		tlsConf.Certificates = []tls.Certificate{cert}
	}
	proxy := http.ProxyFromEnvironment
	if opts.Proxy != "" {
		pu, err := proxyURL(opts.Proxy)
		if err != nil {
			return nil, err
		}
		proxy = http.ProxyURL(pu)
	}
	tr := &http.Transport{
		Proxy:               proxy,
		DialContext:         (&net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tlsConf,
		ForceAttemptHTTP2:   !opts.DisableHTTP2,
		MaxIdleConns:        4 * opts.Concurrency,
		MaxIdleConnsPerHost: opts.Concurrency,
		// Requests wait for a slot before they take a connection, so no
		// more are ever needed; the cap stops the transport from dialing
		// extra ones while a finished request's connection goes idle.
		MaxConnsPerHost:       opts.Concurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   opts.ConnectTimeout,
		ResponseHeaderTimeout: opts.StallTimeout,
		// Objects are compressed already, and transparent gzip does not
		// mix with Range requests.
		DisableCompression: true,
	}
	if opts.DisableHTTP2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return tr, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// BytesTransferred counts body bytes received so far.
func (c *Client) BytesTransferred() int64 { return c.bytes.Load() }

// Requests counts HTTP requests sent so far.
func (c *Client) Requests() int64 { return c.requests.Load() }

// Retries is the configured number of retries.
func (c *Client) Retries() int { return c.opts.Retries }

// Request describes one file to download.
type Request struct {
	// Mirrors are base URLs tried in order; any failure moves on to the
	// next one, and the last one's error is returned.
	Mirrors []*url.URL
	// Path is relative to each base URL ("objects/ab/cdef….filez"); ""
	// fetches the base URL itself.
	Path string
	// MaxSize limits the body; 0 means no limit.
	MaxSize int64
	// Priority orders the request among those waiting for a slot.
	Priority Priority
	// Resumable keeps an interrupted download in TmpDir so that a later
	// process resumes it with a Range request (within a process retries
	// always resume).
	Resumable bool
	// NoResume ignores any partial download and starts over.
	NoResume bool
	// IfNoneMatch and IfModifiedSince make the request conditional; a
	// 304 answer yields a Body with NotModified set.
	IfNoneMatch     string
	IfModifiedSince time.Time
}

// Fetch downloads a file, retrying transient failures; a missing file
// is an error that errors.Is classifies as errdefs.ErrNotFound.
func (c *Client) Fetch(ctx context.Context, req *Request) (*Body, error) {
	if len(req.Mirrors) == 0 {
		return nil, errors.New("fetch: no base URL")
	}
	st := &resumeState{byURL: map[string]*partial{}}
	defer st.release()
	for attempt := 0; ; attempt++ {
		b, err := c.fetchMirrors(ctx, req, st)
		if err == nil {
			return b, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if attempt >= c.opts.Retries || !IsTransient(err) {
			return nil, err
		}
		if err := sleep(ctx, c.backoff(attempt)); err != nil {
			return nil, err
		}
	}
}

func (c *Client) fetchMirrors(ctx context.Context, req *Request, st *resumeState) (*Body, error) {
	var err error
	for _, base := range req.Mirrors {
		var b *Body
		b, err = c.fetchOne(ctx, req, base, st)
		if err == nil {
			return b, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
	}
	return nil, err
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.Backoff << min(attempt, 16)
	if d > maxBackoff || d <= 0 {
		d = maxBackoff
	}
	// Full jitter on the upper half keeps many clients from retrying in
	// step.
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// JoinURL resolves the relative path rel under base, keeping base's
// credentials, as libostree's _ostree_fetcher_uri_new_subpath does.
func JoinURL(base *url.URL, rel string) *url.URL {
	u := *base
	if rel == "" {
		return &u
	}
	u.Path = strings.TrimSuffix(base.Path, "/") + "/" + strings.TrimPrefix(rel, "/")
	u.RawPath = ""
	return &u
}

// ParseMirrorlist parses a mirrorlist file: one URL per line, blank lines
// and #-comments ignored, and only http and https URLs kept.
func ParseMirrorlist(data []byte) []*url.URL {
	var out []*url.URL
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		u, err := url.Parse(line)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		out = append(out, u)
	}
	return out
}

// Concurrency is the number of requests allowed in flight.
func (c *Client) Concurrency() int { return c.opts.Concurrency }
