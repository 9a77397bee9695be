package pull_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fetch"
	"github.com/gostree/gostree/internal/fsck"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/server"
	"github.com/gostree/gostree/internal/summary"
	"github.com/gostree/gostree/internal/testutil"
	"github.com/gostree/gostree/internal/traverse"
)

// bigTree has enough objects for partial pulls to mean something, and a
// file too large to be buffered in memory.
func bigTree() traverse.TestTree {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 3<<20)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	tr := traverse.TestTree{"big": string(noise), "link": traverse.TestSymlink("big"), "empty": ""}
	for d := range 4 {
		sub := traverse.TestTree{}
		for f := range 10 {
			sub[fmt.Sprintf("f%d", f)] = strings.Repeat(fmt.Sprintf("%d-%d\n", d, f), 1+f*50)
		}
		sub["x"] = traverse.TestExec(fmt.Sprintf("#!/bin/sh\necho %d\n", d))
		tr[fmt.Sprintf("d%d", d)] = sub
	}
	return tr
}

// httpSource is an archive repository with a two-commit history on
// "main", with or without a summary.
func httpSource(t *testing.T, withSummary bool) (*repo.Repo, []object.Checksum) {
	t.Helper()
	r := traverse.TestRepo(t, repo.ModeArchive)
	cs := traverse.TestChain(t, r, "main", treeA, bigTree())
	if withSummary {
		if err := summary.Regenerate(context.Background(), r, summary.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	return r, cs
}

// requestLog records what a server was asked for.
type requestLog struct {
	mu    sync.Mutex
	paths []string
	bytes map[string]int64
	// ranges holds the last Range header sent for each path.
	ranges map[string]string
}

func (l *requestLog) add(p, rng string, n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.paths = append(l.paths, p)
	if l.bytes == nil {
		l.bytes, l.ranges = map[string]int64{}, map[string]string{}
	}
	l.bytes[p] += n
	if rng != "" {
		l.ranges[p] = rng
	}
}

func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.paths, l.bytes, l.ranges = nil, nil, nil
}

func (l *requestLog) snapshot() ([]string, map[string]int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := map[string]int64{}
	for k, v := range l.bytes {
		b[k] = v
	}
	return append([]string(nil), l.paths...), b
}

// rangeStart is where the last request for p asked the body to start.
func (l *requestLog) rangeStart(p string) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var n int64
	if _, err := fmt.Sscanf(l.ranges[p], "bytes=%d-", &n); err != nil {
		return 0, false
	}
	return n, true
}

// serveRepo serves r with our server, wrapped by wrap when set.
func serveRepo(t *testing.T, r *repo.Repo, wrap func(http.Handler) http.Handler) (string, *requestLog) {
	t.Helper()
	log := &requestLog{}
	h, err := server.New(r.Path(), server.Options{OnRequest: func(req *http.Request, _ int, n int64) {
		log.add(req.URL.Path, req.Header.Get("Range"), n)
	}})
	if err != nil {
		t.Fatal(err)
	}
	var hh http.Handler = h
	if wrap != nil {
		hh = wrap(h)
	}
	srv := httptest.NewServer(hh)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		h.Close()
	})
	return srv.URL, log
}

func addRemote(t *testing.T, dst *repo.Repo, name, url string, settings ...remote.Setting) *repo.Repo {
	t.Helper()
	ctx := context.Background()
	cfg, err := remote.Load(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	settings = append([]remote.Setting{{Key: "gpg-verify", Value: false}}, settings...)
	if err := cfg.Add(ctx, remote.Fail, name, url, settings); err != nil {
		t.Fatal(err)
	}
	r, err := repo.Open(ctx, dst.Path())
	if err != nil {
		t.Fatal(err)
	}
	r.SetFsync(false)
	return r
}

func fastOpts(o pull.Options) pull.RemoteOptions {
	return pull.RemoteOptions{Options: o, NetworkRetries: 2, Fetch: fetch.Options{Backoff: time.Millisecond, StallTimeout: 2 * time.Second}}
}

// verifyAll rehashes every object dst holds, reachable or not: nothing
// unverified may have landed.
func verifyAll(t *testing.T, dst *repo.Repo) {
	t.Helper()
	checkFsck(t, dst)
	for n := range traverse.TestAllObjects(t, dst) {
		if err := fsck.VerifyObject(context.Background(), dst, n); err != nil {
			t.Errorf("object %s: %v", n, err)
		}
	}
}

func remoteRef(t *testing.T, r *repo.Repo, name string) object.Checksum {
	t.Helper()
	c, err := r.ResolveRev(context.Background(), name, false)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestHTTPPullModes(t *testing.T) {
	ctx := context.Background()
	for _, withSummary := range []bool{true, false} {
		src, cs := httpSource(t, withSummary)
		url, log := serveRepo(t, src, nil)
		for _, mode := range modes {
			t.Run(fmt.Sprintf("summary=%v/%s", withSummary, mode), func(t *testing.T) {
				dst := addRemote(t, traverse.TestRepo(t, mode), "origin", url)
				log.reset()
				res, err := pull.PullRemote(ctx, dst, "origin", fastOpts(pull.Options{Refs: []string{"main"}, Depth: -1}))
				if err != nil {
					t.Fatal(err)
				}
				if got := remoteRef(t, dst, "origin:main"); got != cs[1] {
					t.Errorf("origin:main = %s, want %s", got, cs[1])
				}
				if _, err := os.Stat(filepath.Join(dst.Path(), "refs", "heads", "main")); err == nil {
					t.Error("a local ref was written")
				}
				if c, p := countCommits(t, dst); c != 2 || p != 0 {
					t.Errorf("%d commits, %d partial", c, p)
				}
				verifyAll(t, dst)
				if res.ContentFetched == 0 || res.MetadataFetched == 0 || res.BytesTransferred == 0 || res.RefsChanged != 1 {
					t.Errorf("result %+v", res)
				}
				paths, _ := log.snapshot()
				usedRefs := false
				for _, p := range paths {
					usedRefs = usedRefs || p == "/refs/heads/main"
				}
				if usedRefs == withSummary {
					t.Errorf("fetched refs/heads/main: %v, with a summary: %v", usedRefs, withSummary)
				}
				// A second pull finds everything: only the summary files,
				// the commits' detached metadata and the delta index (as
				// libostree asks for it whenever the summary says deltas
				// are indexed) are asked for again.
				log.reset()
				res, err = pull.PullRemote(ctx, dst, "origin", fastOpts(pull.Options{Refs: []string{"main"}, Depth: -1}))
				if err != nil {
					t.Fatal(err)
				}
				paths, _ = log.snapshot()
				for _, p := range paths {
					if !strings.HasSuffix(p, ".commitmeta") && !strings.HasPrefix(p, "/summary") && !strings.HasPrefix(p, "/refs/") && !strings.HasPrefix(p, "/delta-indexes/") && p != "/config" {
						t.Errorf("second pull fetched %s", p)
					}
				}
				if res.ContentFetched != 0 || res.RefsChanged != 0 {
					t.Errorf("second pull %+v", res)
				}
			})
		}
	}
}

func TestHTTPPullOptions(t *testing.T) {
	ctx := context.Background()
	src, cs := httpSource(t, true)
	url, log := serveRepo(t, src, nil)
	newDst := func(t *testing.T, mode repo.Mode) *repo.Repo {
		return addRemote(t, traverse.TestRepo(t, mode), "origin", url)
	}
	t.Run("commit metadata only", func(t *testing.T) {
		dst := newDst(t, repo.ModeArchive)
		if _, err := pull.PullRemote(ctx, dst, "origin", fastOpts(pull.Options{Refs: []string{"main"}, CommitOnly: true})); err != nil {
			t.Fatal(err)
		}
		objs := traverse.TestAllObjects(t, dst)
		for n := range objs {
			if n.Type != object.TypeCommit {
				t.Errorf("fetched %s", n)
			}
		}
		if c, p := countCommits(t, dst); c != 1 || p != 1 {
			t.Errorf("%d commits, %d partial", c, p)
		}
		checkFsck(t, dst)
	})
	t.Run("subpath", func(t *testing.T) {
		dst := newDst(t, repo.ModeBareUser)
		if _, err := pull.PullRemote(ctx, dst, "origin", fastOpts(pull.Options{Refs: []string{"main"}, Subpaths: []string{"/d1", "/link"}})); err != nil {
			t.Fatal(err)
		}
		if p, _ := dst.IsPartial(cs[1]); !p {
			t.Error("commit not partial after a subpath pull")
		}
		if ok, _ := dst.HasObject(ctx, traverse.TestFileName(t, src, cs[1], "link").Checksum, object.TypeFile); !ok {
			t.Error("/link not pulled")
		}
		if ok, _ := dst.HasObject(ctx, traverse.TestFileName(t, src, cs[1], "big").Checksum, object.TypeFile); ok {
			t.Error("/big pulled")
		}
		if _, err := pull.PullRemote(ctx, dst, "origin", fastOpts(pull.Options{Refs: []string{"main"}})); err != nil {
			t.Fatal(err)
		}
		if p, _ := dst.IsPartial(cs[1]); p {
			t.Error("commit still partial after a full pull")
		}
		verifyAll(t, dst)
	})
	t.Run("pinned commit needs no summary", func(t *testing.T) {
		dst := newDst(t, repo.ModeArchive)
		log.reset()
		o := pull.Options{Refs: []string{"main"}, Overrides: map[string]object.Checksum{"main": cs[0]}}
		if _, err := pull.PullRemote(ctx, dst, "origin", fastOpts(o)); err != nil {
			t.Fatal(err)
		}
		paths, _ := log.snapshot()
		for _, p := range paths {
			if strings.HasPrefix(p, "/summary") || strings.HasPrefix(p, "/refs/") {
				t.Errorf("fetched %s", p)
			}
		}
		if got := remoteRef(t, dst, "origin:main"); got != cs[0] {
			t.Errorf("origin:main = %s", got)
		}
	})
	t.Run("checksum writes no ref", func(t *testing.T) {
		dst := newDst(t, repo.ModeArchive)
		if _, err := pull.PullRemote(ctx, dst, "origin", fastOpts(pull.Options{Refs: []string{cs[0].String()}})); err != nil {
			t.Fatal(err)
		}
		if refs, _ := dst.ListRefs(ctx, true); len(refs) != 0 {
			t.Errorf("refs %v", refs)
		}
		checkFsck(t, dst)
	})
	t.Run("mirror all refs", func(t *testing.T) {
		dst := newDst(t, repo.ModeArchive)
		if _, err := pull.PullRemote(ctx, dst, "origin", fastOpts(pull.Options{Mirror: true, Depth: -1})); err != nil {
			t.Fatal(err)
		}
		if got := remoteRef(t, dst, "main"); got != cs[1] {
			t.Errorf("main = %s", got)
		}
		want, _ := os.ReadFile(filepath.Join(src.Path(), "summary"))
		got, _ := os.ReadFile(filepath.Join(dst.Path(), "summary"))
		if !bytes.Equal(got, want) {
			t.Error("summary not copied")
		}
		// A mirror in archive mode keeps the server's .filez as they are.
		f := traverse.TestFileName(t, src, cs[1], "big")
		a, _ := os.ReadFile(traverse.TestPath(src, f))
		b, _ := os.ReadFile(traverse.TestPath(dst, f))
		if !bytes.Equal(a, b) {
			t.Error(".filez differs")
		}
		verifyAll(t, dst)
	})
	t.Run("errors", func(t *testing.T) {
		dst := newDst(t, repo.ModeArchive)
		for _, tc := range []struct {
			remote string
			opts   pull.Options
			want   string
		}{
			{"origin", pull.Options{Refs: []string{"nosuch"}}, "No such branch 'nosuch' in repository summary"},
			{"origin", pull.Options{}, "No configured branches for remote origin"},
			{"nosuch", pull.Options{Refs: []string{"main"}}, `Remote "nosuch" not found`},
		} {
			_, err := pull.PullRemote(ctx, dst, tc.remote, fastOpts(tc.opts))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%+v: %v, want %q", tc.opts, err, tc.want)
			}
		}
	})
	t.Run("gpg verification requested", func(t *testing.T) {
		dst := traverse.TestRepo(t, repo.ModeArchive)
		cfg, _ := remote.Load(ctx, dst)
		if err := cfg.Add(ctx, remote.Fail, "signed", url, nil); err != nil {
			t.Fatal(err)
		}
		dst, _ = repo.Open(ctx, dst.Path())
		_, err := pull.PullRemote(ctx, dst, "signed", fastOpts(pull.Options{Refs: []string{"main"}}))
		if err == nil || !strings.Contains(err.Error(), "GPG verification enabled, but no signatures found") {
			t.Errorf("err = %v", err)
		}
		if refs, _ := dst.ListRefs(ctx, true); len(refs) != 0 {
			t.Errorf("refs %v after a refused pull", refs)
		}
		called := false
		o := fastOpts(pull.Options{Refs: []string{"main"}})
		o.GPGVerifyCommit = func(_ context.Context, remote string, c object.Checksum, commit, _ []byte) error {
			called = remote == "signed" && c == cs[1] && object.Sum(commit) == c
			return nil
		}
		if _, err := pull.PullRemote(ctx, dst, "signed", o); err != nil || !called {
			t.Errorf("with a verifier: err %v, called %v", err, called)
		}
	})
	t.Run("local cache", func(t *testing.T) {
		cache := traverse.TestRepo(t, repo.ModeBareUser)
		doPull(t, cache, src, pull.Options{Refs: []string{"main"}})
		dst := newDst(t, repo.ModeArchive)
		log.reset()
		o := fastOpts(pull.Options{Refs: []string{"main"}, LocalCaches: []*repo.Repo{cache}})
		res, err := pull.PullRemote(ctx, dst, "origin", o)
		if err != nil {
			t.Fatal(err)
		}
		if res.ContentFetched != 0 || res.ContentLocal == 0 {
			t.Errorf("result %+v", res)
		}
		verifyAll(t, dst)
	})
}

// fault describes how a misbehaving server answers matching requests.
type fault struct {
	match func(path string) bool
	// times limits how many requests for each path are affected; 0
	// means all.
	times int
	kind  faultKind
	code  int
}

type faultKind int

const (
	faultCut      faultKind = iota // half the body, then the connection drops
	faultShort                     // half the body, as if the file were that long
	faultCorrupt                   // the whole body, one byte flipped
	faultStall                     // half the body, then nothing
	faultHang                      // no answer at all
	faultDrop                      // the connection closes before any answer
	faultStatus                    // an error status
	faultRedirect                  // a redirect to itself, forever
	faultMoved                     // a redirect to /moved/PATH, which works
)

type faultyServer struct {
	next   http.Handler
	mu     sync.Mutex
	faults []*fault
	hits   map[string]int
	stop   chan struct{}
	// delivered counts the body bytes of cut and stalled answers.
	delivered map[string]int64
}

func (f *faultyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/moved/"); ok {
		r = r.Clone(r.Context())
		r.URL.Path = "/" + rest
		f.next.ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	var hit *fault
	for _, ft := range f.faults {
		key := fmt.Sprintf("%p %s", ft, r.URL.Path)
		if ft.match(r.URL.Path) && (ft.times == 0 || f.hits[key] < ft.times) {
			f.hits[key]++
			hit = ft
			break
		}
	}
	f.mu.Unlock()
	if hit == nil {
		f.next.ServeHTTP(w, r)
		return
	}
	switch hit.kind {
	case faultStatus:
		http.Error(w, "injected", hit.code)
		return
	case faultRedirect:
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
		return
	case faultMoved:
		http.Redirect(w, r, "/moved"+r.URL.Path, http.StatusMovedPermanently)
		return
	case faultHang:
		select {
		case <-r.Context().Done():
		case <-f.stop:
		}
		return
	case faultDrop:
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	rec := httptest.NewRecorder()
	f.next.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	switch hit.kind {
	case faultCorrupt:
		body = append([]byte(nil), body...)
		body[len(body)/2] ^= 0x55
		w.WriteHeader(rec.Code)
		w.Write(body)
	case faultShort:
		w.Header().Set("Content-Length", fmt.Sprint(len(body)/2))
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
	case faultCut, faultStall:
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		f.mu.Lock()
		f.delivered[r.URL.Path] += int64(len(body) / 2)
		f.mu.Unlock()
		if hit.kind == faultStall {
			select {
			case <-r.Context().Done():
			case <-f.stop:
			}
			return
		}
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}
}

func isObject(suffix string) func(string) bool {
	return func(p string) bool { return strings.HasPrefix(p, "/objects/") && strings.HasSuffix(p, suffix) }
}

func isPath(path string) func(string) bool {
	return func(p string) bool { return p == path }
}

// referenceFsck lets the reference check dst, when it is installed.
func referenceFsck(t *testing.T, dst *repo.Repo) {
	t.Helper()
	t.Run("reference fsck", func(t *testing.T) {
		ref := testutil.ReferenceOstree(t)
		if out, err := exec.Command(ref, "--repo="+dst.Path(), "fsck").CombinedOutput(); err != nil {
			t.Errorf("reference fsck: %v\n%s", err, out)
		}
	})
}

// checkRefetch checks what a pull after an interrupted one fetched: no
// object the first one stored, and every other object whole or, when
// resumed, from where the client's partial download ended: exactly
// resumed[path] when known.
func checkRefetch(t *testing.T, src *repo.Repo, have map[object.Name]bool, log *requestLog, resumed map[string]int64) {
	t.Helper()
	paths, sent := log.snapshot()
	stored := map[string]bool{}
	for n := range have {
		stored["/objects/"+object.LoosePath(n.Checksum, n.Type, true)] = true
	}
	for _, p := range paths {
		if !strings.HasPrefix(p, "/objects/") || strings.HasSuffix(p, ".commitmeta") {
			continue
		}
		if stored[p] {
			t.Errorf("refetched %s", p)
			continue
		}
		fi, err := os.Stat(filepath.Join(src.Path(), p))
		if err != nil {
			t.Fatal(err)
		}
		from, ranged := log.rangeStart(p)
		if want, ok := resumed[p]; ok && (!ranged || from != want) {
			t.Errorf("%s: resumed from %d (a Range: %v), want %d", p, from, ranged, want)
		}
		if sent[p] != fi.Size()-from {
			t.Errorf("%s: %d bytes sent from %d, of %d", p, sent[p], from, fi.Size())
		}
	}
	for p := range resumed {
		if _, ok := sent[p]; !ok {
			t.Errorf("%s not fetched again", p)
		}
	}
}

func TestBadServers(t *testing.T) {
	ctx := context.Background()
	src, cs := httpSource(t, true)
	big := traverse.TestFileName(t, src, cs[1], "big")
	bigPath := "/objects/" + object.LoosePath(big.Checksum, object.TypeFile, true)
	d1, _ := traverse.TestDirName(t, src, cs[1], "d1")
	d1Path := "/objects/" + object.LoosePath(d1.Checksum, object.TypeDirTree, true)
	headPath := "/objects/" + object.LoosePath(cs[1], object.TypeCommit, true)
	for _, tc := range []struct {
		name    string
		faults  []*fault
		retries int
		stall   time.Duration
		wantErr string // "" when the pull recovers
		naming  string // what the error must name
		// resumed: the next pull fetches the rest of bigPath only.
		resumed bool
	}{
		{name: "every object cut once", faults: []*fault{{match: isObject(""), kind: faultCut, times: 1}}, retries: 1},
		{name: "big object cut twice", faults: []*fault{{match: isPath(bigPath), kind: faultCut, times: 2}}, retries: 2},
		{name: "dropped mid-body without retries", faults: []*fault{{match: isPath(bigPath), kind: faultCut}}, retries: 0,
			wantErr: "Transferred a partial file", naming: bigPath, resumed: true},
		{name: "dropped mid-body on every retry", faults: []*fault{{match: isPath(bigPath), kind: faultCut}}, retries: 2,
			wantErr: "Transferred a partial file", naming: bigPath, resumed: true},
		{name: "connection dropped before answering, once", faults: []*fault{{match: isObject(""), kind: faultDrop, times: 1}}, retries: 1},
		{name: "connection always dropped before answering", faults: []*fault{{match: isPath(d1Path), kind: faultDrop}}, retries: 2,
			wantErr: "[52] Server returned nothing (no headers, no data)", naming: d1Path},
		{name: "truncated file", faults: []*fault{{match: isPath(bigPath), kind: faultShort}}, retries: 2,
			wantErr: "unexpected EOF", naming: big.Checksum.String()},
		{name: "truncated dirtree", faults: []*fault{{match: isPath(d1Path), kind: faultShort}}, retries: 2,
			wantErr: "Corrupted dirtree object", naming: d1.Checksum.String()},
		{name: "wrong bytes in a file", faults: []*fault{{match: isPath(bigPath), kind: faultCorrupt}}, retries: 2,
			wantErr: "Corrupted file object", naming: big.Checksum.String()},
		{name: "wrong bytes in a dirtree", faults: []*fault{{match: isPath(d1Path), kind: faultCorrupt}}, retries: 2,
			wantErr: "Corrupted dirtree object", naming: d1.Checksum.String()},
		{name: "wrong bytes in a commit", faults: []*fault{{match: isPath(headPath), kind: faultCorrupt}}, retries: 2,
			wantErr: "Corrupted commit object", naming: cs[1].String()},
		{name: "stalled transfer", faults: []*fault{{match: isPath(bigPath), kind: faultStall}}, retries: 1, stall: 500 * time.Millisecond,
			wantErr: "Timeout was reached", naming: bigPath, resumed: true},
		{name: "stalled once, then recovery", faults: []*fault{{match: isPath(bigPath), kind: faultStall, times: 1}}, retries: 1, stall: 500 * time.Millisecond},
		{name: "no answer", faults: []*fault{{match: isPath(d1Path), kind: faultHang}}, retries: 1, stall: 500 * time.Millisecond,
			wantErr: "Timeout was reached", naming: d1Path},
		{name: "missing object", faults: []*fault{{match: isPath(d1Path), kind: faultStatus, code: 404}}, retries: 2,
			wantErr: "Server returned HTTP 404", naming: d1Path},
		{name: "missing file object", faults: []*fault{{match: isPath(bigPath), kind: faultStatus, code: 404}}, retries: 2,
			wantErr: "Server returned HTTP 404", naming: bigPath},
		{name: "server errors then recovery", faults: []*fault{{match: isObject(".filez"), kind: faultStatus, code: 500, times: 2}}, retries: 2},
		{name: "summary errors then recovery", faults: []*fault{{match: func(p string) bool { return strings.HasPrefix(p, "/summary") }, kind: faultStatus, code: 500, times: 1}}, retries: 1},
		{name: "persistent server error", faults: []*fault{{match: isPath(bigPath), kind: faultStatus, code: 500}}, retries: 2,
			wantErr: "Server returned HTTP 500", naming: bigPath},
		{name: "persistent summary error", faults: []*fault{{match: isPath("/summary"), kind: faultStatus, code: 503}}, retries: 1,
			wantErr: "Server returned HTTP 503", naming: "/summary"},
		{name: "redirect loop", faults: []*fault{{match: isPath(bigPath), kind: faultRedirect}}, retries: 2,
			wantErr: "redirects", naming: bigPath},
		{name: "redirected objects", faults: []*fault{{match: isObject(""), kind: faultMoved}}, retries: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.stall == 0 {
				// Cases that time nothing share the CPU.
				t.Parallel()
			}
			fs := &faultyServer{faults: tc.faults, hits: map[string]int{}, stop: make(chan struct{}), delivered: map[string]int64{}}
			defer close(fs.stop)
			url, log := serveRepo(t, src, func(h http.Handler) http.Handler { fs.next = h; return fs })
			dst := addRemote(t, traverse.TestRepo(t, repo.ModeBareUser), "origin", url)
			o := fastOpts(pull.Options{Refs: []string{"main"}})
			o.NetworkRetries = tc.retries
			if tc.stall > 0 {
				o.Fetch.StallTimeout = tc.stall
			}
			start := time.Now()
			_, err := pull.PullRemote(ctx, dst, "origin", o)
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("pull took %v", d)
			}
			t.Logf("first pull: %v", err)
			verifyAll(t, dst)
			referenceFsck(t, dst)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := remoteRef(t, dst, "origin:main"); got != cs[1] {
					t.Errorf("origin:main = %s", got)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.naming) {
					t.Fatalf("err = %v, want %q naming %s", err, tc.wantErr, tc.naming)
				}
				if _, err := dst.ResolveRev(ctx, "origin:main", false); !errors.Is(err, errdefs.ErrNotFound) {
					t.Errorf("ref moved by a failed pull: %v", err)
				}
			}
			// The next pull, from a healthy server, fetches only what the
			// first one did not store, and the rest of an interrupted
			// download.
			have := traverse.TestAllObjects(t, dst)
			fs.mu.Lock()
			fs.faults = nil
			fs.mu.Unlock()
			log.reset()
			res, err := pull.PullRemote(ctx, dst, "origin", o)
			if err != nil {
				t.Fatal(err)
			}
			resumed := map[string]int64{}
			if tc.resumed {
				resumed[bigPath] = fs.delivered[bigPath]
			}
			checkRefetch(t, src, have, log, resumed)
			_, sent := log.snapshot()
			var objBytes, allBytes int64
			for p, n := range sent {
				allBytes += n
				if strings.HasPrefix(p, "/objects/") && !strings.HasSuffix(p, ".commitmeta") {
					objBytes += n
				}
			}
			if res.BytesTransferred < objBytes || res.BytesTransferred > allBytes {
				t.Errorf("client counted %d bytes; the server sent %d, %d of them objects", res.BytesTransferred, allBytes, objBytes)
			}
			if tc.wantErr == "" && objBytes != 0 {
				t.Errorf("pull after a successful one fetched %d bytes of objects", objBytes)
			}
			verifyAll(t, dst)
			if got := remoteRef(t, dst, "origin:main"); got != cs[1] {
				t.Errorf("origin:main = %s", got)
			}
		})
	}
}

// TestCancelledPullResumes interrupts a pull (as Ctrl-C does) and checks
// that what it stored is verified and not fetched again.
func TestCancelledPullResumes(t *testing.T) {
	src, cs := httpSource(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	served := 0
	url, log := serveRepo(t, src, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, ".filez") {
				mu.Lock()
				served++
				if served == 15 {
					cancel()
				}
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		})
	})
	dst := addRemote(t, traverse.TestRepo(t, repo.ModeBareUser), "origin", url)
	o := fastOpts(pull.Options{Refs: []string{"main"}})
	o.Fetch.Concurrency = 2
	if _, err := pull.PullRemote(ctx, dst, "origin", o); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted pull: %v", err)
	}
	have := traverse.TestAllObjects(t, dst)
	files := 0
	for n := range have {
		if n.Type == object.TypeFile {
			files++
		}
	}
	if files == 0 {
		t.Fatal("nothing kept from the interrupted pull")
	}
	verifyAll(t, dst)
	referenceFsck(t, dst)
	if p, _ := dst.IsPartial(cs[1]); !p {
		t.Error("commit of the interrupted pull not marked partial")
	}
	log.reset()
	if _, err := pull.PullRemote(context.Background(), dst, "origin", o); err != nil {
		t.Fatal(err)
	}
	checkRefetch(t, src, have, log, nil)
	if p, _ := dst.IsPartial(cs[1]); p {
		t.Error("commit still partial")
	}
	verifyAll(t, dst)
}

func TestHTTPPullTombstone(t *testing.T) {
	ctx := context.Background()
	src, cs := httpSource(t, false)
	if err := src.EnableTombstoneCommits(ctx); err != nil {
		t.Fatal(err)
	}
	if err := src.RemoveObject(ctx, cs[0], object.TypeCommit); err != nil {
		t.Fatal(err)
	}
	if err := summary.Regenerate(ctx, src, summary.Options{}); err != nil {
		t.Fatal(err)
	}
	url, _ := serveRepo(t, src, nil)
	dst := addRemote(t, traverse.TestRepo(t, repo.ModeArchive), "origin", url)
	if _, err := pull.PullRemote(ctx, dst, "origin", fastOpts(pull.Options{Refs: []string{"main"}, Depth: -1})); err != nil {
		t.Fatal(err)
	}
	if ok, _ := dst.HasObject(ctx, cs[0], object.TypeTombstoneCommit); !ok {
		t.Error("tombstone of the deleted parent not pulled")
	}
	if c, p := countCommits(t, dst); c != 1 || p != 0 {
		t.Errorf("%d commits, %d partial", c, p)
	}
	checkFsck(t, dst)
}
