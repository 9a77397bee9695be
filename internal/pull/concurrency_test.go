package pull_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/fetch"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/traverse"
)

// inFlight delays every response as a distant server would and records
// the largest number of requests it held at once.
type inFlight struct {
	next  http.Handler
	delay time.Duration
	cur   atomic.Int32
	mu    sync.Mutex
	peak  int32
}

func (h *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := h.cur.Add(1)
	defer h.cur.Add(-1)
	h.mu.Lock()
	h.peak = max(h.peak, n)
	h.mu.Unlock()
	time.Sleep(h.delay)
	h.next.ServeHTTP(w, r)
}

// TestPullKeepsRequestsInFlight: with latency, what bounds a pull is the
// number of requests in flight. The default keeps up to 64 (libostree
// 8), content imports leave some for the walk's metadata, and streaming
// content does not make them wait for one another.
func TestPullKeepsRequestsInFlight(t *testing.T) {
	tree := traverse.TestTree{}
	for d := range 4 {
		sub := traverse.TestTree{}
		for f := range 100 {
			sub[fmt.Sprintf("f%d", f)] = fmt.Sprintf("file %d of dir %d\n", f, d)
		}
		tree[fmt.Sprintf("d%d", d)] = sub
	}
	src := traverse.TestRepo(t, repo.ModeArchive)
	cs := traverse.TestChain(t, src, "main", tree)
	h := &inFlight{delay: 20 * time.Millisecond}
	url, _ := serveRepo(t, src, func(next http.Handler) http.Handler { h.next = next; return h })
	for _, tc := range []struct {
		name        string
		concurrency int
		min, max    int32
	}{
		{"default", 0, 40, fetch.DefaultConcurrency},
		{"bounded", 8, 2, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.mu.Lock()
			h.peak = 0
			h.mu.Unlock()
			dst := addRemote(t, traverse.TestRepo(t, repo.ModeBareUser), "origin", url)
			o := fastOpts(pull.Options{Refs: []string{"main"}})
			o.Fetch.Concurrency = tc.concurrency
			if _, err := pull.PullRemote(context.Background(), dst, "origin", o); err != nil {
				t.Fatal(err)
			}
			if got := remoteRef(t, dst, "origin:main"); got != cs[0] {
				t.Fatalf("origin:main = %s, want %s", got, cs[0])
			}
			verifyAll(t, dst)
			h.mu.Lock()
			peak := h.peak
			h.mu.Unlock()
			t.Logf("%d requests in flight at most", peak)
			if peak < tc.min || peak > tc.max {
				t.Errorf("%d requests in flight at most, want %d to %d", peak, tc.min, tc.max)
			}
		})
	}
}
