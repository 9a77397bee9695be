package fetch

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/errdefs"
)

func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// files serves fixed contents with http.ServeContent (Range, ETag,
// conditional requests), counting requests and bytes per path.
type files struct {
	mu      sync.Mutex
	content map[string][]byte
	hits    map[string]int
	ranges  []string
}

func newFiles(c map[string][]byte) *files {
	return &files{content: c, hits: map[string]int{}}
}

func (f *files) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits[r.URL.Path]++
	if rg := r.Header.Get("Range"); rg != "" {
		f.ranges = append(f.ranges, rg)
	}
	b, ok := f.content[r.URL.Path]
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, len(b)))
	http.ServeContent(w, r, r.URL.Path, time.Unix(1700000000, 0), bytes.NewReader(b))
}

func (f *files) hitCount(p string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[p]
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func newClient(t *testing.T, opts Options) *Client {
	t.Helper()
	if opts.Backoff == 0 {
		opts.Backoff = time.Millisecond
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func fetchBytes(t *testing.T, c *Client, req *Request) ([]byte, *Body, error) {
	t.Helper()
	b, err := c.Fetch(context.Background(), req)
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(func() { b.Close() })
	data, err := b.Bytes()
	return data, b, err
}

func TestFetchSizes(t *testing.T) {
	small, big := payload(1000), payload(3<<20+17)
	fs := newFiles(map[string][]byte{"/repo/small": small, "/repo/big": big, "/repo/empty": {}})
	srv := httptest.NewServer(fs)
	defer srv.Close()
	base := mustURL(t, srv.URL+"/repo/")
	for _, tc := range []struct {
		name string
		path string
		want []byte
		tmp  bool
	}{
		{"small in memory", "small", small, false},
		{"big spilled to a temp file", "big", big, false},
		{"big spilled to a partial file", "big", big, true},
		{"empty", "empty", []byte{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{}
			tmp := ""
			if tc.tmp {
				tmp = t.TempDir()
				opts.TmpDir = tmp
			}
			c := newClient(t, opts)
			got, b, err := fetchBytes(t, c, &Request{Mirrors: []*url.URL{base}, Path: tc.path, Resumable: true})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got %d bytes, want %d", len(got), len(tc.want))
			}
			if b.Size() != int64(len(tc.want)) {
				t.Errorf("Size = %d", b.Size())
			}
			if c.BytesTransferred() != int64(len(tc.want)) {
				t.Errorf("BytesTransferred = %d, want %d", c.BytesTransferred(), len(tc.want))
			}
			b.Close()
			if tmp != "" {
				if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
					t.Errorf("tmp dir not empty after Close: %v", ents)
				}
			}
		})
	}
}

func TestFetchStatuses(t *testing.T) {
	var fails atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if fails.Add(-1) >= 0 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("/timeout408", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "slow", http.StatusRequestTimeout)
	})
	mux.HandleFunc("/forbidden", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	})
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "foouser" || p != "barpw" {
			http.Error(w, "auth", http.StatusUnauthorized)
			return
		}
		w.Write([]byte("secret"))
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	base := mustURL(t, srv.URL)
	authed := mustURL(t, strings.Replace(srv.URL, "http://", "http://foouser:barpw@", 1))

	for _, tc := range []struct {
		name      string
		base      *url.URL
		path      string
		retries   int
		fails     int32
		wantErr   string
		notFound  bool
		transient bool
		requests  int64
	}{
		{name: "404", path: "nosuch", retries: 5, wantErr: "HTTP 404", notFound: true, requests: 1},
		{name: "403 is not found", path: "forbidden", retries: 5, wantErr: "HTTP 403", notFound: true, requests: 1},
		{name: "500 retried", path: "flaky", retries: 5, fails: 2, requests: 3},
		{name: "500 without retries", path: "flaky", retries: 0, fails: 1, wantErr: "HTTP 500 Internal Server Error", transient: true, requests: 1},
		{name: "500 retries exhausted", path: "flaky", retries: 2, fails: 10, wantErr: "HTTP 500", transient: true, requests: 3},
		{name: "408 retried then fails", path: "timeout408", retries: 1, wantErr: "HTTP 408 Request Timeout", transient: true, requests: 2},
		{name: "401", path: "auth", retries: 5, wantErr: "HTTP 401", requests: 1},
		{name: "basic auth from URL", base: authed, path: "auth", retries: 5, requests: 1},
		{name: "redirect loop", path: "loop", retries: 5, wantErr: "stopped after 10 redirects", requests: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fails.Store(tc.fails)
			c := newClient(t, Options{Retries: tc.retries})
			b := tc.base
			if b == nil {
				b = base
			}
			_, _, err := fetchBytes(t, c, &Request{Mirrors: []*url.URL{b}, Path: tc.path})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if errors.Is(err, errdefs.ErrNotFound) != tc.notFound {
					t.Errorf("errors.Is(ErrNotFound) = %v", !tc.notFound)
				}
				if IsTransient(err) != tc.transient {
					t.Errorf("IsTransient = %v", !tc.transient)
				}
				if strings.Contains(err.Error(), "barpw") {
					t.Errorf("error leaks the password: %v", err)
				}
			}
			if got := c.Requests(); got != tc.requests {
				t.Errorf("%d requests, want %d", got, tc.requests)
			}
		})
	}
}

// cutter serves the first half of a file and then drops the connection,
// unless the request has a Range (like ostree-trivial-httpd
// --force-range-requests).
type cutter struct {
	content []byte
	always  bool // also cut ranged requests short
	mu      sync.Mutex
	ranges  []string
	served  int
}

func (h *cutter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	rg := r.Header.Get("Range")
	h.ranges = append(h.ranges, rg)
	h.mu.Unlock()
	if rg != "" && !h.always {
		var start int
		fmt.Sscanf(rg, "bytes=%d-", &start)
		h.mu.Lock()
		h.served += len(h.content) - start
		h.mu.Unlock()
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(h.content))
		return
	}
	start := 0
	if rg != "" {
		fmt.Sscanf(rg, "bytes=%d-", &start)
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, len(h.content)-1, len(h.content)))
	}
	rest := h.content[start:]
	w.Header().Set("Content-Length", fmt.Sprint(len(rest)))
	if rg != "" {
		w.WriteHeader(http.StatusPartialContent)
	}
	half := rest[:(len(rest)+1)/2]
	w.Write(half)
	h.mu.Lock()
	h.served += len(half)
	h.mu.Unlock()
	w.(http.Flusher).Flush()
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestResumeWithinProcess(t *testing.T) {
	for _, size := range []int{100, 3 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			h := &cutter{content: payload(size)}
			srv := httptest.NewServer(h)
			defer srv.Close()
			c := newClient(t, Options{Retries: 1})
			got, b, err := fetchBytes(t, c, &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: "f"})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, h.content) {
				t.Fatal("content differs")
			}
			if !b.Resumed {
				t.Error("Resumed not set")
			}
			if h.served != size {
				t.Errorf("server sent %d bytes for a %d-byte file", h.served, size)
			}
			if len(h.ranges) != 2 || h.ranges[0] != "" || h.ranges[1] != fmt.Sprintf("bytes=%d-", (size+1)/2) {
				t.Errorf("ranges %q", h.ranges)
			}
		})
	}
}

func TestResumeAcrossProcesses(t *testing.T) {
	h := &cutter{content: payload(5000)}
	srv := httptest.NewServer(h)
	defer srv.Close()
	tmp := t.TempDir()
	req := &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: "objects/f", Resumable: true}
	c1 := newClient(t, Options{TmpDir: tmp})
	_, _, err := fetchBytes(t, c1, req)
	if err == nil || !strings.Contains(err.Error(), "Transferred a partial file") || !IsTransient(err) {
		t.Fatalf("first fetch: %v", err)
	}
	ents, _ := os.ReadDir(tmp)
	if len(ents) != 1 || !strings.HasPrefix(ents[0].Name(), partialPrefix) {
		t.Fatalf("tmp holds %v, want one partial file", ents)
	}
	// A new client (a new process) resumes where the first stopped.
	c2 := newClient(t, Options{TmpDir: tmp})
	got, b, err := fetchBytes(t, c2, req)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, h.content) || !b.Resumed {
		t.Fatalf("content equal %v, resumed %v", bytes.Equal(got, h.content), b.Resumed)
	}
	if h.served != len(h.content) {
		t.Errorf("server sent %d bytes in all for %d", h.served, len(h.content))
	}
	if c2.BytesTransferred() != 2500 {
		t.Errorf("second fetch transferred %d bytes, want 2500", c2.BytesTransferred())
	}
	b.Close()
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("partial file left after success: %v", ents)
	}
	// NoResume ignores a partial file.
	h2 := &cutter{content: payload(4000)}
	srv2 := httptest.NewServer(h2)
	defer srv2.Close()
	req2 := &Request{Mirrors: []*url.URL{mustURL(t, srv2.URL)}, Path: "objects/g", Resumable: true}
	fetchBytes(t, newClient(t, Options{TmpDir: tmp}), req2)
	req2.NoResume = true
	h2.ranges = nil
	fetchBytes(t, newClient(t, Options{TmpDir: tmp, Retries: 1}), req2)
	if len(h2.ranges) == 0 || h2.ranges[0] != "bytes=0-" {
		t.Errorf("NoResume sent ranges %q, want bytes=0- first", h2.ranges)
	}
}

func TestEveryAttemptCutShort(t *testing.T) {
	h := &cutter{content: payload(64), always: true}
	srv := httptest.NewServer(h)
	defer srv.Close()
	// Each attempt gets half of what is left: 32, 16, 8, 4, 2, 1, 1 bytes.
	c := newClient(t, Options{Retries: 10})
	got, _, err := fetchBytes(t, c, &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: "f"})
	if err != nil || !bytes.Equal(got, h.content) {
		t.Fatalf("err %v, equal %v", err, bytes.Equal(got, h.content))
	}
	if h.served != 64 {
		t.Errorf("served %d bytes, want 64", h.served)
	}
}

func TestStall(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		w.Header().Set("Content-Length", "10")
		w.Write([]byte("01234"))
		w.(http.Flusher).Flush()
		if n == 1 || strings.Contains(r.URL.Path, "always") {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Write([]byte("56789"))
	}))
	defer srv.Close()
	base := mustURL(t, srv.URL)
	c := newClient(t, Options{Retries: 2, StallTimeout: 100 * time.Millisecond})
	got, _, err := fetchBytes(t, c, &Request{Mirrors: []*url.URL{base}, Path: "once"})
	if err != nil || string(got) != "0123456789" {
		t.Fatalf("got %q, %v", got, err)
	}
	start := time.Now()
	_, _, err = fetchBytes(t, c, &Request{Mirrors: []*url.URL{base}, Path: "always"})
	if err == nil || !strings.Contains(err.Error(), "Timeout was reached") {
		t.Fatalf("stalled fetch: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stalled fetch took %v", d)
	}
}

func TestMaxSize(t *testing.T) {
	content := payload(1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.Write(content[:500])
			w.(http.Flusher).Flush()
			w.Write(content[500:])
			return
		}
		w.Write(content)
	}))
	defer srv.Close()
	for _, p := range []string{"sized", "chunked"} {
		c := newClient(t, Options{Retries: 5})
		_, _, err := fetchBytes(t, c, &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: p, MaxSize: 999})
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "exceeded maximum size of 999 bytes") {
			t.Errorf("%s: %v", p, err)
		}
		if c.Requests() != 1 {
			t.Errorf("%s: %d requests, size errors are not retried", p, c.Requests())
		}
		if _, _, err := fetchBytes(t, c, &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: p, MaxSize: 1000}); err != nil {
			t.Errorf("%s at the limit: %v", p, err)
		}
	}
}

func TestMirrorsAndConditional(t *testing.T) {
	good := newFiles(map[string][]byte{"/b/config": []byte("[core]\n"), "/b/summary": []byte("S")})
	bad := newFiles(map[string][]byte{})
	sg, sb := httptest.NewServer(good), httptest.NewServer(bad)
	defer sg.Close()
	defer sb.Close()
	c := newClient(t, Options{Retries: 0})
	mirrors := []*url.URL{mustURL(t, sb.URL+"/a"), mustURL(t, sg.URL+"/b")}
	got, b, err := fetchBytes(t, c, &Request{Mirrors: mirrors, Path: "config"})
	if err != nil || string(got) != "[core]\n" {
		t.Fatalf("got %q, %v", got, err)
	}
	if bad.hitCount("/a/config") != 1 {
		t.Error("first mirror not tried")
	}
	if b.ETag == "" || b.LastModified.Unix() != 1700000000 {
		t.Errorf("validators %q %v", b.ETag, b.LastModified)
	}
	for _, tc := range []struct {
		name string
		req  Request
		want bool
	}{
		{"etag matches", Request{IfNoneMatch: `"1"`}, true},
		{"etag differs", Request{IfNoneMatch: `"2"`}, false},
		{"not modified since", Request{IfModifiedSince: time.Unix(1700000000, 0)}, true},
		{"modified since", Request{IfModifiedSince: time.Unix(1600000000, 0)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			req.Mirrors, req.Path = []*url.URL{mustURL(t, sg.URL+"/b")}, "summary"
			got, b, err := fetchBytes(t, c, &req)
			if err != nil {
				t.Fatal(err)
			}
			if b.NotModified != tc.want || (!tc.want && string(got) != "S") {
				t.Errorf("NotModified %v, body %q", b.NotModified, got)
			}
		})
	}
}

func TestHeadersAndUserAgent(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
	}))
	defer srv.Close()
	c := newClient(t, Options{ExtraUserAgent: "test/1", Header: http.Header{"X-Foo": {"bar"}}})
	if _, _, err := fetchBytes(t, c, &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: "x"}); err != nil {
		t.Fatal(err)
	}
	if ua := got.Get("User-Agent"); ua != "libostree/2025.2 test/1" {
		t.Errorf("User-Agent %q", ua)
	}
	if got.Get("X-Foo") != "bar" {
		t.Errorf("X-Foo %q", got.Get("X-Foo"))
	}
}

func TestConcurrencyBound(t *testing.T) {
	var cur, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		cur.Add(-1)
	}))
	defer srv.Close()
	c := newClient(t, Options{Concurrency: 3})
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := c.Fetch(context.Background(), &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: fmt.Sprint(i)})
			if err == nil {
				b.Close()
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p != 3 {
		t.Errorf("peak concurrency %d, want 3", p)
	}
}

func TestSemaPriority(t *testing.T) {
	s := newSema(1)
	ctx := context.Background()
	if err := s.acquire(ctx, PriorityContent); err != nil {
		t.Fatal(err)
	}
	var order []Priority
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := func(p Priority) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.acquire(ctx, p)
			mu.Lock()
			order = append(order, p)
			mu.Unlock()
			s.release()
		}()
		time.Sleep(10 * time.Millisecond) // queue in this order
	}
	start(PriorityContent)
	start(PriorityContent)
	start(PriorityMetadata)
	// A waiter that gives up leaves the queue.
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error)
	go func() { errc <- s.acquire(cctx, PriorityMetadata) }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled acquire: %v", err)
	}
	s.release()
	wg.Wait()
	want := []Priority{PriorityMetadata, PriorityContent, PriorityContent}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("order %v, want %v", order, want)
	}
	if s.free != 1 {
		t.Errorf("free = %d after all releases", s.free)
	}
}

func TestParseMirrorlist(t *testing.T) {
	in := "\n# comment\n\nhttp://a/x\nfile:///local\nhttps://b/y\r\nnot a url\n"
	var got []string
	for _, u := range ParseMirrorlist([]byte(in)) {
		got = append(got, u.String())
	}
	if fmt.Sprint(got) != "[http://a/x https://b/y]" {
		t.Errorf("got %v", got)
	}
	if u := JoinURL(mustURL(t, "http://u:p@h/base/"), "objects/ab/c.filez"); u.String() != "http://u:p@h/base/objects/ab/c.filez" {
		t.Errorf("JoinURL %s", u)
	}
}

func TestHTTP2AndTLS(t *testing.T) {
	var protos sync.Map
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protos.Store(r.Proto, true)
		w.Write([]byte("ok"))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	base := mustURL(t, srv.URL)
	// The test certificate is not trusted: tls-permissive or tls-ca-path.
	if _, _, err := fetchBytes(t, newClient(t, Options{}), &Request{Mirrors: []*url.URL{base}, Path: "x"}); err == nil || IsTransient(err) {
		t.Errorf("untrusted certificate: %v", err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	for _, opts := range []Options{{TLSPermissive: true}, {TLSCAFile: ca}} {
		c := newClient(t, opts)
		for i := range 5 {
			if got, _, err := fetchBytes(t, c, &Request{Mirrors: []*url.URL{base}, Path: fmt.Sprint(i)}); err != nil || string(got) != "ok" {
				t.Fatalf("%+v: %q, %v", opts, got, err)
			}
		}
	}
	if _, ok := protos.Load("HTTP/2.0"); !ok {
		t.Error("HTTP/2 not used")
	}
	protos.Clear()
	c := newClient(t, Options{TLSPermissive: true, DisableHTTP2: true})
	fetchBytes(t, c, &Request{Mirrors: []*url.URL{base}, Path: "y"})
	if _, ok := protos.Load("HTTP/1.1"); !ok {
		t.Error("http2=false still used HTTP/2")
	}
}

func FuzzParseMirrorlist(f *testing.F) {
	f.Add([]byte("# c\nhttp://a/x\n\nhttps://b/y\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, u := range ParseMirrorlist(b) {
			if u.Scheme != "http" && u.Scheme != "https" {
				t.Errorf("kept %s", u)
			}
		}
	})
}

func FuzzContentRangeStart(f *testing.F) {
	f.Add("bytes 10-19/20")
	f.Fuzz(func(t *testing.T, h string) {
		if n, ok := contentRangeStart(h); ok && n < 0 {
			t.Errorf("negative start %d", n)
		}
	})
}

func TestCookies(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = nil
		for _, c := range r.Cookies() {
			got = append(got, c.Name+"="+c.Value)
		}
	}))
	defer srv.Close()
	jar := filepath.Join(t.TempDir(), "origin.cookies.txt")
	os.WriteFile(jar, []byte("# Netscape HTTP Cookie File\n"+
		"127.0.0.1\tFALSE\t/\tFALSE\t2584562082\tfoo\tbar\n"+
		"#HttpOnly_127.0.0.1\tFALSE\t/repo\tFALSE\t0\tbaz\tbadger\n"+
		"127.0.0.1\tFALSE\t/\tTRUE\t0\tsecure\tno\n"+
		"127.0.0.1\tFALSE\t/\tFALSE\t1\texpired\tno\n"+
		"example.com\tTRUE\t/\tFALSE\t0\tother\tno\n"+
		"broken line\n"), 0o644)
	c := newClient(t, Options{CookieFile: jar})
	for _, tc := range []struct{ path, want string }{
		{"/repo/summary", "[baz=badger foo=bar]"}, // curl sends longer paths first
		{"/other", "[foo=bar]"},
	} {
		if _, _, err := fetchBytes(t, c, &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: tc.path}); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != tc.want {
			t.Errorf("%s: cookies %v, want %s", tc.path, got, tc.want)
		}
	}
	if _, err := New(Options{CookieFile: filepath.Join(t.TempDir(), "none")}); err != nil {
		t.Errorf("missing cookie file: %v", err)
	}
}
