package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// fetchOne downloads req.Path from one base URL, holding a request slot
// for the whole transfer.
func (c *Client) fetchOne(ctx context.Context, req *Request, base *url.URL, st *resumeState) (*Body, error) {
	u := JoinURL(base, req.Path)
	key := u.String()
	shown := u.Redacted()
	p := st.byURL[key]
	if p == nil && req.Resumable && c.partials != nil {
		f, path, err := c.partials.open(key, false)
		if err != nil {
			return nil, &TransportError{URL: shown, Err: err}
		}
		if f != nil {
			p = &partial{file: f, path: path, fromDisk: true}
			if fi, err := f.Stat(); err == nil {
				p.off = fi.Size()
			}
			if req.NoResume {
				p.reset()
			}
			st.byURL[key] = p
		}
	}
	if err := c.sem.acquire(ctx, req.Priority); err != nil {
		return nil, err
	}
	defer c.sem.release()
	for tries := 0; ; tries++ {
		b, again, err := c.do(ctx, req, key, shown, st)
		if !again || tries >= 2 {
			return b, err
		}
	}
}

// do sends one request. again asks for an immediate new request, after a
// Range the server could not satisfy.
func (c *Client) do(ctx context.Context, req *Request, key, shown string, st *resumeState) (body *Body, again bool, err error) {
	p := st.byURL[key]
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stall := time.AfterFunc(c.opts.StallTimeout, func() { cancel(errStalled) })
	defer stall.Stop()

	hreq, err := http.NewRequestWithContext(actx, http.MethodGet, key, nil)
	if err != nil {
		return nil, false, &TransportError{URL: shown, Err: err}
	}
	hreq.Header.Set("User-Agent", c.opts.UserAgent)
	for k, vs := range c.opts.Header {
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	addCookies(hreq, c.cookies)
	resuming := p != nil
	conditional := req.IfNoneMatch != "" || !req.IfModifiedSince.IsZero()
	if resuming {
		// Sent even from offset 0: a server that cut the body short
		// without a Range may serve it whole when asked for one.
		hreq.Header.Set("Range", fmt.Sprintf("bytes=%d-", p.size()))
		if p.validator != "" {
			hreq.Header.Set("If-Range", p.validator)
		}
	} else {
		if req.IfNoneMatch != "" {
			hreq.Header.Set("If-None-Match", req.IfNoneMatch)
		}
		if !req.IfModifiedSince.IsZero() {
			hreq.Header.Set("If-Modified-Since", req.IfModifiedSince.UTC().Format(http.TimeFormat))
		}
	}
	c.requests.Add(1)
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return nil, false, transportErr(ctx, actx, shown, err)
	}
	defer resp.Body.Close()

	resumed := false
	switch code := resp.StatusCode; {
	case code == http.StatusNotModified && conditional && !resuming:
		return &Body{URL: shown, NotModified: true, ETag: resp.Header.Get("ETag"), LastModified: lastModified(resp)}, false, nil
	case code == http.StatusPartialContent && resuming:
		start, ok := contentRangeStart(resp.Header.Get("Content-Range"))
		if !ok || start != p.size() {
			p.reset()
			drain(resp.Body)
			return nil, false, &TransportError{URL: shown, Err: fmt.Errorf("unexpected Content-Range %q", resp.Header.Get("Content-Range")), Retry: true}
		}
		resumed = start > 0
	case code == http.StatusRequestedRangeNotSatisfiable && resuming:
		drain(resp.Body)
		if p.size() == 0 {
			// An empty file cannot satisfy any range: ask plainly.
			c.dropPartial(st, key)
		} else {
			p.reset()
		}
		return nil, true, nil
	case code >= 200 && code < 300:
		if resuming {
			// The whole body, despite the Range.
			p.reset()
		}
	default:
		drain(resp.Body)
		return nil, false, &StatusError{URL: shown, Status: code}
	}

	if p == nil {
		p = &partial{}
		st.byURL[key] = p
	}
	if v := resp.Header.Get("ETag"); v != "" {
		p.validator = v
	} else if v := resp.Header.Get("Last-Modified"); v != "" {
		p.validator = v
	}
	clen := resp.ContentLength
	if req.MaxSize > 0 && clen >= 0 && p.size()+clen > req.MaxSize {
		drain(resp.Body)
		return nil, false, &SizeError{URL: shown, Max: req.MaxSize}
	}
	if p.file == nil && (clen < 0 || p.size()+clen > memLimit) {
		if err := c.spill(req, key, p); err != nil {
			return nil, false, &TransportError{URL: shown, Err: err}
		}
	} else if p.file == nil && int64(cap(p.buf)) < p.size()+clen {
		// One allocation of the right size.
		buf := make([]byte, len(p.buf), p.size()+clen)
		copy(buf, p.buf)
		p.buf = buf
	}
	if err := c.copyBody(ctx, actx, req, resp.Body, p, stall); err != nil {
		if errors.Is(err, ErrTooLarge) {
			return nil, false, &SizeError{URL: shown, Max: req.MaxSize}
		}
		var te *TransportError
		if errors.As(err, &te) {
			te.URL = shown
			if te.Retry && req.Resumable && p.file == nil && c.partials != nil && len(p.buf) > 0 {
				// Keep what arrived for a later process.
				c.spill(req, key, p)
			}
			return nil, false, te
		}
		return nil, false, err
	}
	b := &Body{URL: shown, ETag: resp.Header.Get("ETag"), LastModified: lastModified(resp), Resumed: resumed}
	if p.file != nil {
		b.file, b.size, b.remove = p.file, p.off, p.path
		p.file = nil
	} else {
		b.data = p.buf
	}
	delete(st.byURL, key)
	return b, false, nil
}

// spill moves p's data to a file: a partial file in TmpDir for
// resumable requests, else an unlinked temporary file.
func (c *Client) spill(req *Request, key string, p *partial) error {
	var f *os.File
	var path string
	if req.Resumable && c.partials != nil {
		var err error
		if f, path, err = c.partials.open(key, true); err != nil {
			return err
		}
		if f != nil {
			if err := emptyFile(f); err != nil {
				f.Close()
				return err
			}
		}
	}
	if f == nil {
		dir := c.opts.TmpDir
		if dir == "" {
			dir = os.TempDir()
		}
		var err error
		if f, err = os.CreateTemp(dir, ".fetch-tmp-"); err != nil {
			return err
		}
		os.Remove(f.Name())
	}
	if _, err := f.WriteAt(p.buf, 0); err != nil {
		f.Close()
		return err
	}
	p.file, p.path, p.off, p.buf = f, path, int64(len(p.buf)), nil
	return nil
}

func (c *Client) dropPartial(st *resumeState, key string) {
	p := st.byURL[key]
	if p == nil {
		return
	}
	if p.file != nil {
		if p.path != "" {
			os.Remove(p.path)
			c.partials.forget(p.path)
		}
		p.file.Close()
	}
	delete(st.byURL, key)
}

// copyBody appends the response body to p.
func (c *Client) copyBody(ctx, actx context.Context, req *Request, r io.Reader, p *partial, stall *time.Timer) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			stall.Reset(c.opts.StallTimeout)
			c.bytes.Add(int64(n))
			if req.MaxSize > 0 && p.size()+int64(n) > req.MaxSize {
				return ErrTooLarge
			}
			if p.file != nil {
				if _, err := p.file.WriteAt(buf[:n], p.off); err != nil {
					return fmt.Errorf("write download: %w", err)
				}
				p.off += int64(n)
			} else {
				p.buf = append(p.buf, buf[:n]...)
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if context.Cause(actx) == errStalled {
				return &TransportError{Err: errStalled, Retry: true}
			}
			return &TransportError{Err: fmt.Errorf("%w: %v", errPartial, rerr), Retry: true}
		}
	}
}

func transportErr(ctx, actx context.Context, shown string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if context.Cause(actx) == errStalled {
		return &TransportError{URL: shown, Err: errStalled, Retry: true}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		// No headers in time, or no connection: curl reports every
		// timeout in the same words, whichever timer fired first.
		return &TransportError{URL: shown, Err: fmt.Errorf("%w: %v", errStalled, err), Retry: true}
	}
	if errors.Is(err, io.EOF) {
		// The connection closed before any answer.
		return &TransportError{URL: shown, Err: errEmptyReply, Retry: true}
	}
	return &TransportError{URL: shown, Err: err, Retry: retryable(err)}
}

// retryable follows libostree's list of transient errors: timeouts,
// name-resolution failures, dropped connections and truncated transfers.
// A refused connection is not retried.
func retryable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.IsTemporary || dns.IsNotFound || dns.IsTimeout
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

func drain(r io.Reader) { io.CopyN(io.Discard, r, 64<<10) }

func lastModified(resp *http.Response) time.Time {
	t, err := http.ParseTime(resp.Header.Get("Last-Modified"))
	if err != nil {
		return time.Time{}
	}
	return t
}

// contentRangeStart parses "bytes START-END/TOTAL".
func contentRangeStart(h string) (int64, bool) {
	rest, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return 0, false
	}
	first, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(first), 10, 64)
	return n, err == nil && n >= 0
}
