package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/errdefs"
)

// streamAll streams req and returns what each call of fn read.
func streamAll(c *Client, req *Request) (calls [][]byte, resumed bool, err error) {
	resumed, err = c.Stream(context.Background(), req, func(r io.Reader) error {
		b, err := io.ReadAll(r)
		calls = append(calls, b)
		return err
	})
	return calls, resumed, err
}

func TestStreamSizes(t *testing.T) {
	small, big := payload(1000), payload(3<<20+17)
	fs := newFiles(map[string][]byte{"/repo/small": small, "/repo/big": big, "/repo/empty": {}})
	srv := httptest.NewServer(fs)
	defer srv.Close()
	base := mustURL(t, srv.URL+"/repo/")
	for _, tc := range []struct {
		path string
		want []byte
	}{
		{"small", small},
		{"big", big},
		{"empty", []byte{}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			tmp := t.TempDir()
			c := newClient(t, Options{TmpDir: tmp, Retries: 5})
			calls, resumed, err := streamAll(c, &Request{Mirrors: []*url.URL{base}, Path: tc.path, Resumable: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) != 1 || !bytes.Equal(calls[0], tc.want) || resumed {
				t.Fatalf("%d calls, resumed %v, content equal %v", len(calls), resumed, len(calls) > 0 && bytes.Equal(calls[0], tc.want))
			}
			if c.BytesTransferred() != int64(len(tc.want)) || c.Requests() != 1 {
				t.Errorf("BytesTransferred %d, Requests %d; want %d, 1", c.BytesTransferred(), c.Requests(), len(tc.want))
			}
			if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
				t.Errorf("streaming left files in tmp: %v", ents)
			}
		})
	}
}

// TestStreamResume cuts transfers short: fn must see one continuous,
// intact body while the client resumes underneath.
func TestStreamResume(t *testing.T) {
	for _, tc := range []struct {
		name     string
		size     int
		always   bool // every response is cut short
		retries  int
		requests int64
	}{
		{"small", 100, false, 1, 2},
		{"big", 3 << 20, false, 1, 2},
		// 32, 16, 8, 4, 2, 1 and 1 bytes.
		{"every response halved", 64, true, 10, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &cutter{content: payload(tc.size), always: tc.always}
			srv := httptest.NewServer(h)
			defer srv.Close()
			c := newClient(t, Options{Retries: tc.retries})
			calls, resumed, err := streamAll(c, &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: "f"})
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) != 1 || !bytes.Equal(calls[0], h.content) || !resumed {
				t.Fatalf("%d calls, resumed %v, content equal %v", len(calls), resumed, bytes.Equal(calls[0], h.content))
			}
			if h.served != tc.size || c.BytesTransferred() != int64(tc.size) {
				t.Errorf("server sent %d bytes, client counted %d, for a %d-byte file", h.served, c.BytesTransferred(), tc.size)
			}
			if c.Requests() != tc.requests {
				t.Errorf("%d requests, want %d", c.Requests(), tc.requests)
			}
			if h.ranges[0] != "" || h.ranges[1] != fmt.Sprintf("bytes=%d-", (tc.size+1)/2) {
				t.Errorf("ranges %q", h.ranges)
			}
		})
	}
}

// rangeIgnorer cuts its first response short and ignores ranges: the
// stream cannot be resumed, only restarted.
type rangeIgnorer struct {
	content []byte
	calls   atomic.Int32
}

func (h *rangeIgnorer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", fmt.Sprint(len(h.content)))
	if h.calls.Add(1) > 1 {
		w.Write(h.content)
		return
	}
	w.Write(h.content[:len(h.content)/2])
	w.(http.Flusher).Flush()
	if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
		conn.Close()
	}
}

func TestStreamRestart(t *testing.T) {
	h := &rangeIgnorer{content: payload(10000)}
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := newClient(t, Options{Retries: 5})
	calls, resumed, err := streamAll(c, &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: "f"})
	if err != nil {
		t.Fatal(err)
	}
	// The first call read half, then failed; the Range request got the
	// whole file again, so fn started over.
	if len(calls) != 2 || len(calls[0]) != 5000 || !bytes.Equal(calls[1], h.content) || resumed {
		t.Fatalf("%d calls (first read %d bytes), resumed %v", len(calls), len(calls[0]), resumed)
	}
	if c.Requests() != 3 {
		t.Errorf("%d requests, want 3 (cut short, refused range, restart)", c.Requests())
	}
}

func TestStreamNoResume(t *testing.T) {
	h := &cutter{content: payload(4000)}
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := newClient(t, Options{Retries: 2})
	calls, _, err := streamAll(c, &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: "f", NoResume: true})
	if err == nil || !strings.Contains(err.Error(), "Transferred a partial file") || !IsTransient(err) {
		t.Fatalf("err %v", err)
	}
	if len(calls) != 3 {
		t.Errorf("fn called %d times, want 3", len(calls))
	}
	for _, rg := range h.ranges {
		if rg != "" {
			t.Errorf("NoResume sent Range %q", rg)
		}
	}
}

func TestStreamOwnError(t *testing.T) {
	fs := newFiles(map[string][]byte{"/f": payload(100000)})
	srv := httptest.NewServer(fs)
	defer srv.Close()
	c := newClient(t, Options{Retries: 5})
	bad := errors.New("bad data")
	calls := 0
	_, err := c.Stream(context.Background(), &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: "f"}, func(r io.Reader) error {
		calls++
		io.ReadFull(r, make([]byte, 10))
		return bad
	})
	if !errors.Is(err, bad) || calls != 1 || c.Requests() != 1 {
		t.Errorf("err %v after %d calls and %d requests", err, calls, c.Requests())
	}
}

func TestStreamStatusesAndMirrors(t *testing.T) {
	var fails atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/good/f", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("content")) })
	mux.HandleFunc("/flaky/f", func(w http.ResponseWriter, r *http.Request) {
		if fails.Add(-1) >= 0 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.Write([]byte("content"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	good, flaky, missing := mustURL(t, srv.URL+"/good/"), mustURL(t, srv.URL+"/flaky/"), mustURL(t, srv.URL+"/missing/")
	for _, tc := range []struct {
		name     string
		mirrors  []*url.URL
		fails    int32
		wantErr  error
		calls    int
		requests int64
	}{
		{name: "404", mirrors: []*url.URL{missing}, wantErr: errdefs.ErrNotFound, requests: 1},
		{name: "500 retried", mirrors: []*url.URL{flaky}, fails: 2, calls: 1, requests: 3},
		{name: "next mirror", mirrors: []*url.URL{missing, good}, calls: 1, requests: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fails.Store(tc.fails)
			c := newClient(t, Options{Retries: 5})
			calls, _, err := streamAll(c, &Request{Mirrors: tc.mirrors, Path: "f"})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
			} else if err != nil || string(calls[len(calls)-1]) != "content" {
				t.Fatalf("err %v, calls %q", err, calls)
			}
			if len(calls) != tc.calls || c.Requests() != tc.requests {
				t.Errorf("%d calls, %d requests; want %d, %d", len(calls), c.Requests(), tc.calls, tc.requests)
			}
		})
	}
}

func TestStreamMaxSize(t *testing.T) {
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
		_, _, err := streamAll(c, &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: p, MaxSize: 999})
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "exceeded maximum size of 999 bytes") {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestStreamStall(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Content-Length", "10")
			w.Write([]byte("01234"))
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader("0123456789"))
	}))
	defer srv.Close()
	c := newClient(t, Options{Retries: 2, StallTimeout: 100 * time.Millisecond})
	got, resumed, err := streamAll(c, &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: "f"})
	if err != nil || len(got) != 1 || string(got[0]) != "0123456789" || !resumed {
		t.Fatalf("got %q, resumed %v, err %v", got, resumed, err)
	}
}

// TestStreamPartialFromEarlierProcess resumes what a Fetch of another
// client (process) left in TmpDir.
func TestStreamPartialFromEarlierProcess(t *testing.T) {
	h := &cutter{content: payload(5000)}
	srv := httptest.NewServer(h)
	defer srv.Close()
	tmp := t.TempDir()
	req := &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: "objects/f", Resumable: true}
	if _, _, err := fetchBytes(t, newClient(t, Options{TmpDir: tmp}), req); err == nil {
		t.Fatal("first fetch did not fail")
	}
	c := newClient(t, Options{TmpDir: tmp})
	calls, resumed, err := streamAll(c, req)
	if err != nil || len(calls) != 1 || !bytes.Equal(calls[0], h.content) || !resumed {
		t.Fatalf("err %v, %d calls, resumed %v", err, len(calls), resumed)
	}
	if c.BytesTransferred() != 2500 {
		t.Errorf("transferred %d bytes, want the 2500 missing", c.BytesTransferred())
	}
}

// TestStreamHoldsSlot checks that a stream holds its request slot until
// fn returns, and that waiting metadata goes before waiting content.
func TestStreamHoldsSlot(t *testing.T) {
	fs := newFiles(map[string][]byte{"/f": []byte("x")})
	srv := httptest.NewServer(fs)
	defer srv.Close()
	c := newClient(t, Options{Concurrency: 1})
	req := &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: "f"}
	var mu sync.Mutex
	var order []string
	var running, peak atomic.Int32
	hold := make(chan struct{})
	var wg sync.WaitGroup
	start := func(name string, p Priority) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := *req
			r.Priority = p
			_, err := c.Stream(context.Background(), &r, func(io.Reader) error {
				n := running.Add(1)
				defer running.Add(-1)
				for {
					old := peak.Load()
					if n <= old || peak.CompareAndSwap(old, n) {
						break
					}
				}
				mu.Lock()
				order = append(order, name)
				mu.Unlock()
				<-hold
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	start("c1", PriorityContent)
	waitFor(t, func() bool { return running.Load() == 1 })
	start("c2", PriorityContent)
	waitFor(t, func() bool { c.sem.mu.Lock(); defer c.sem.mu.Unlock(); return len(c.sem.waiters[PriorityContent]) == 1 })
	start("m1", PriorityMetadata)
	waitFor(t, func() bool {
		c.sem.mu.Lock()
		defer c.sem.mu.Unlock()
		return len(c.sem.waiters[PriorityMetadata]) == 1
	})
	close(hold)
	wg.Wait()
	if peak.Load() != 1 {
		t.Errorf("%d streams ran at once with 1 slot", peak.Load())
	}
	if strings.Join(order, " ") != "c1 m1 c2" {
		t.Errorf("order %v: waiting metadata should go first", order)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached")
}

// TestStreamPausedConsumer: a consumer that waits before reading (for a
// processing slot) is no stalled transfer.
func TestStreamPausedConsumer(t *testing.T) {
	fs := newFiles(map[string][]byte{"/f": payload(100000)})
	srv := httptest.NewServer(fs)
	defer srv.Close()
	c := newClient(t, Options{StallTimeout: 30 * time.Millisecond})
	var got []byte
	_, err := c.Stream(context.Background(), &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: "f"}, func(r io.Reader) error {
		time.Sleep(150 * time.Millisecond)
		var err error
		got, err = io.ReadAll(r)
		return err
	})
	if err != nil || !bytes.Equal(got, fs.content["/f"]) || c.Requests() != 1 {
		t.Fatalf("err %v, %d bytes, %d requests", err, len(got), c.Requests())
	}
}

// TestStreamKeepsPartial: a large body that breaks stays in TmpDir, and
// the next process (client) asks only for the rest.
func TestStreamKeepsPartial(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
		kept bool
	}{
		{"large", memLimit + 1000, true},
		{"small", 1000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &cutter{content: payload(tc.size)}
			srv := httptest.NewServer(h)
			defer srv.Close()
			tmp := t.TempDir()
			req := &Request{Mirrors: []*url.URL{mustURL(t, srv.URL)}, Path: "objects/f", Resumable: true}
			calls, _, err := streamAll(newClient(t, Options{TmpDir: tmp}), req)
			if err == nil || !IsTransient(err) || len(calls) != 1 || len(calls[0]) != (tc.size+1)/2 {
				t.Fatalf("first stream: err %v, %d calls", err, len(calls))
			}
			ents, _ := os.ReadDir(tmp)
			if kept := len(ents) == 1; kept != tc.kept {
				t.Fatalf("tmp holds %v; want a partial file: %v", ents, tc.kept)
			}
			// A small body is fetched again, and resumed within the
			// process.
			c := newClient(t, Options{TmpDir: tmp, Retries: 1})
			calls, resumed, err := streamAll(c, req)
			if err != nil || len(calls) != 1 || !bytes.Equal(calls[0], h.content) || !resumed {
				t.Fatalf("second stream: err %v, %d calls, resumed %v", err, len(calls), resumed)
			}
			want := int64(tc.size)
			if tc.kept {
				want -= int64((tc.size + 1) / 2)
			}
			if c.BytesTransferred() != want {
				t.Errorf("second stream transferred %d bytes, want %d", c.BytesTransferred(), want)
			}
			if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
				t.Errorf("partial file left after success: %v", ents)
			}
		})
	}
}
