package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gostree/gostree/internal/repo"
)

// Options configure a Handler.
type Options struct {
	// Repo, with AutoUpdateSummary, is the repository whose summary is
	// regenerated when its refs change. Its path must be the served
	// directory.
	Repo              *repo.Repo
	AutoUpdateSummary bool
	// OnRequest, when set, is called after each request with the status
	// sent and the body bytes written (for logs and tests).
	OnRequest func(r *http.Request, status int, bytes int64)
}

// Handler serves one directory. It is safe for concurrent use.
type Handler struct {
	root *os.Root
	opts Options

	summaryMu sync.Mutex
	refsState string // fingerprint of the refs when the summary was written
}

var _ http.Handler = (*Handler)(nil)

// New serves dir. Close releases it.
func New(dir string, opts Options) (*Handler, error) {
	if opts.AutoUpdateSummary && opts.Repo == nil {
		return nil, errors.New("server: AutoUpdateSummary needs the repository")
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("serve %s: %w", dir, err)
	}
	return &Handler{root: root, opts: opts}, nil
}

// Close releases the directory.
func (h *Handler) Close() error { return h.root.Close() }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rw := &recorder{ResponseWriter: w, status: http.StatusOK}
	h.serve(rw, r)
	if h.opts.OnRequest != nil {
		h.opts.OnRequest(r, rw.status, rw.n)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rel, ok := cleanPath(r.URL.Path)
	if !ok {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if rel == "" || rel == ".lock" || rel == "tmp" || strings.HasPrefix(rel, "tmp/") {
		http.NotFound(w, r)
		return
	}
	if h.opts.AutoUpdateSummary && (rel == "summary" || rel == "summary.sig") {
		if err := h.refreshSummary(r.Context()); err != nil {
			http.Error(w, "summary: "+err.Error(), http.StatusInternalServerError)
			return
		}
	}
	f, err := h.root.Open(rel)
	if err != nil {
		h.openError(w, r, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		http.Error(w, "stat failed", http.StatusInternalServerError)
		return
	}
	if !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	hdr.Set("ETag", etag(st))
	hdr.Set("Content-Type", "application/octet-stream")
	if strings.HasPrefix(rel, "objects/") || strings.HasPrefix(rel, "deltas/") {
		// An object's name is its checksum: its bytes never change.
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hdr.Set("Cache-Control", "no-cache")
	}
	// ServeContent answers Range, If-Range, If-Modified-Since and
	// If-None-Match, and HEAD.
	http.ServeContent(w, r, "", st.ModTime(), f)
}

func (h *Handler) openError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ELOOP):
		http.NotFound(w, r)
	case errors.Is(err, fs.ErrPermission):
		http.Error(w, "forbidden", http.StatusForbidden)
	default:
		// os.Root refuses paths that escape through symlinks.
		if strings.Contains(err.Error(), "escapes") {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// cleanPath turns a request path into a path relative to the root; it
// refuses "..", "." and empty components, backslashes and NULs rather
// than cleaning them away.
func cleanPath(p string) (string, bool) {
	if !strings.HasPrefix(p, "/") {
		return "", false
	}
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return "", true
	}
	if strings.ContainsAny(p, "\x00\\") {
		return "", false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", false
		}
	}
	return path.Clean(p), true
}

// etag is a strong validator from the inode, size and modification time.
func etag(st fs.FileInfo) string {
	var ino uint64
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		ino = s.Ino
	}
	return fmt.Sprintf(`"%x-%x-%x"`, ino, st.Size(), st.ModTime().UnixNano())
}

// recorder notes the status and body size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	n      int64
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.n += int64(n)
	return n, err
}

// Flush lets streaming work through the recorder.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// ListenAndServe serves h on addr until ctx is done, then shuts down
// gracefully, letting requests in flight finish for up to grace. ready,
// when set, gets the bound address (useful with port 0).
func ListenAndServe(ctx context.Context, addr string, h http.Handler, grace time.Duration, ready func(addr string)) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
