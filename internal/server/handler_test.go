package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fetch"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/server"
	"github.com/gostree/gostree/internal/summary"
	"github.com/gostree/gostree/internal/traverse"
)

var tree = traverse.TestTree{"a": "hello\n", "d": traverse.TestTree{"b": strings.Repeat("x", 100000)}}

func serve(t *testing.T, dir string, opts server.Options) *httptest.Server {
	t.Helper()
	h, err := server.New(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		h.Close()
	})
	return srv
}

func get(t *testing.T, method, u string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestServeFiles(t *testing.T) {
	r := traverse.TestRepo(t, repo.ModeArchive)
	cs := traverse.TestChain(t, r, "main", tree)
	commitRel := "objects/" + cs[0].String()[:2] + "/" + cs[0].String()[2:] + ".commit"
	commitBytes, err := os.ReadFile(filepath.Join(r.Path(), commitRel))
	if err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644)
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(r.Path(), "escape"))
	os.Symlink("../../..", filepath.Join(r.Path(), "refs", "heads", "up"))
	os.Symlink("main", filepath.Join(r.Path(), "refs", "heads", "alias"))
	os.WriteFile(filepath.Join(r.Path(), "tmp", "junk"), []byte("junk"), 0o644)

	var statuses []int
	srv := serve(t, r.Path(), server.Options{OnRequest: func(_ *http.Request, status int, _ int64) {
		statuses = append(statuses, status)
	}})
	info, _ := os.Stat(filepath.Join(r.Path(), commitRel))
	lastMod := info.ModTime().UTC().Format(http.TimeFormat)
	resp, _ := get(t, "GET", srv.URL+"/"+commitRel, nil)
	etag := resp.Header.Get("ETag")

	for _, tc := range []struct {
		name     string
		method   string
		path     string
		hdr      map[string]string
		status   int
		body     []byte
		noBody   bool
		checkLen bool
	}{
		{name: "object", method: "GET", path: "/" + commitRel, status: 200, body: commitBytes},
		{name: "ref", method: "GET", path: "/refs/heads/main", status: 200, body: []byte(cs[0].String() + "\n")},
		{name: "alias inside the repo", method: "GET", path: "/refs/heads/alias", status: 200, body: []byte(cs[0].String() + "\n")},
		{name: "config", method: "GET", path: "/config", status: 200},
		{name: "head", method: "HEAD", path: "/" + commitRel, status: 200, noBody: true, checkLen: true},
		{name: "range", method: "GET", path: "/" + commitRel, hdr: map[string]string{"Range": "bytes=10-"}, status: 206, body: commitBytes[10:]},
		{name: "range beyond the end", method: "GET", path: "/" + commitRel, hdr: map[string]string{"Range": "bytes=100000-"}, status: 416},
		{name: "if-none-match", method: "GET", path: "/" + commitRel, hdr: map[string]string{"If-None-Match": etag}, status: 304, noBody: true},
		{name: "if-none-match other", method: "GET", path: "/" + commitRel, hdr: map[string]string{"If-None-Match": `"nope"`}, status: 200, body: commitBytes},
		{name: "if-modified-since", method: "GET", path: "/" + commitRel, hdr: map[string]string{"If-Modified-Since": lastMod}, status: 304, noBody: true},
		{name: "if-range stale", method: "GET", path: "/" + commitRel, hdr: map[string]string{"Range": "bytes=10-", "If-Range": `"old"`}, status: 200, body: commitBytes},
		{name: "missing", method: "GET", path: "/objects/00/nothing.filez", status: 404},
		{name: "missing summary", method: "GET", path: "/summary", status: 404},
		{name: "directory", method: "GET", path: "/objects", status: 404},
		{name: "root", method: "GET", path: "/", status: 404},
		{name: "dotdot", method: "GET", path: "/refs/../config", status: 403},
		{name: "dot", method: "GET", path: "/./config", status: 403},
		{name: "double slash", method: "GET", path: "//etc/passwd", status: 403},
		{name: "symlink out of the repo", method: "GET", path: "/escape", status: 403},
		{name: "symlink up", method: "GET", path: "/refs/heads/up/etc/passwd", status: 403},
		{name: "tmp is private", method: "GET", path: "/tmp/junk", status: 404},
		{name: "lock is private", method: "GET", path: "/.lock", status: 404},
		{name: "post", method: "POST", path: "/config", status: 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, tc.method, srv.URL+tc.path, tc.hdr)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.body != nil && !bytes.Equal(body, tc.body) {
				t.Errorf("body %q, want %q", body, tc.body)
			}
			if tc.noBody && len(body) != 0 {
				t.Errorf("body of %d bytes", len(body))
			}
			if tc.checkLen && resp.ContentLength != int64(len(commitBytes)) {
				t.Errorf("Content-Length %d", resp.ContentLength)
			}
			if bytes.Contains(body, []byte("secret")) {
				t.Error("served a file outside the repo")
			}
		})
	}
	if len(statuses) == 0 || statuses[0] != 200 {
		t.Errorf("OnRequest saw %v", statuses)
	}
}

func TestAutoUpdateSummary(t *testing.T) {
	r := traverse.TestRepo(t, repo.ModeArchive)
	cs := traverse.TestChain(t, r, "main", tree)
	srv := serve(t, r.Path(), server.Options{Repo: r, AutoUpdateSummary: true})
	load := func() *summary.Summary {
		t.Helper()
		resp, body := get(t, "GET", srv.URL+"/summary", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("summary: %d", resp.StatusCode)
		}
		s, err := summary.Unmarshal(body)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := load()
	if ref, ok := s.FindRef("main"); !ok || ref.Checksum != cs[0] {
		t.Fatalf("summary refs %+v", s.Refs)
	}
	// A new ref shows up in the next summary.
	time.Sleep(10 * time.Millisecond)
	if err := r.SetRef(context.Background(), "", "other", &cs[0]); err != nil {
		t.Fatal(err)
	}
	if _, ok := load().FindRef("other"); !ok {
		t.Error("summary not regenerated after a ref change")
	}
}

// TestFetchFromServer runs the fetch client against the server: plain
// downloads, conditional requests and resumption with a Range.
func TestFetchFromServer(t *testing.T) {
	r := traverse.TestRepo(t, repo.ModeArchive)
	cs := traverse.TestChain(t, r, "main", tree)
	srv := serve(t, r.Path(), server.Options{})
	base, _ := url.Parse(srv.URL)
	c, err := fetch.New(fetch.Options{Retries: 1, TmpDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	rel := "objects/" + cs[0].String()[:2] + "/" + cs[0].String()[2:] + ".commit"
	b, err := c.Fetch(ctx, &fetch.Request{Mirrors: []*url.URL{base}, Path: rel, Resumable: true})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := b.Bytes()
	if object.Sum(data) != cs[0] {
		t.Error("commit checksum mismatch")
	}
	etag := b.ETag
	b.Close()
	b, err = c.Fetch(ctx, &fetch.Request{Mirrors: []*url.URL{base}, Path: rel, IfNoneMatch: etag})
	if err != nil || !b.NotModified {
		t.Fatalf("conditional fetch: %v, %+v", err, b)
	}
	_, err = c.Fetch(ctx, &fetch.Request{Mirrors: []*url.URL{base}, Path: "objects/00/missing.commitmeta"})
	if !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("missing file: %v", err)
	}
}

func TestListenAndServeShutdown(t *testing.T) {
	r := traverse.TestRepo(t, repo.ModeArchive)
	h, err := server.New(r.Path(), server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- server.ListenAndServe(ctx, "127.0.0.1:0", h, time.Second, func(a string) { addrc <- a })
	}()
	addr := <-addrc
	resp, _ := get(t, "GET", "http://"+addr+"/config", nil)
	if resp.StatusCode != 200 {
		t.Errorf("config: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("ListenAndServe: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not shut down")
	}
}
