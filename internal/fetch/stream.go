package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

// Stream downloads req as Fetch does, but hands the body to fn as it
// arrives instead of buffering it, holding a request slot until fn
// returns: memory then does not grow with the requests in flight, and the
// consumer works while the data arrives.
//
// fn reads one continuous body: a transfer that breaks is resumed with a
// Range request (guarded by If-Range) under fn's feet, within the retry
// budget. When a download cannot continue where it stopped (a server that
// ignores the Range, another mirror), fn's reader fails and Stream calls
// fn again from the start, as Fetch retries; fn must start over on every
// call. An error of fn's own, not caused by its reader, ends Stream at
// once.
//
// resumed reports that the body fn read last continued an interrupted
// transfer; a consumer that finds it corrupt should call again with
// NoResume, which also makes Stream restart instead of resuming.
//
// A large body of a Resumable request is also written to a partial file
// in TmpDir as it is read, which a later process resumes (through Fetch)
// should this one fail; it is removed once fn succeeds. Conditional
// requests are not supported.
func (c *Client) Stream(ctx context.Context, req *Request, fn func(body io.Reader) error) (resumed bool, err error) {
	if len(req.Mirrors) == 0 {
		return false, errors.New("fetch: no base URL")
	}
	if req.IfNoneMatch != "" || !req.IfModifiedSince.IsZero() {
		return false, errors.New("fetch: conditional requests cannot be streamed")
	}
	if !req.NoResume && c.hasPartial(req) {
		b, err := c.Fetch(ctx, req)
		if err != nil {
			return false, err
		}
		defer b.Close()
		return b.Resumed, fn(b.Reader())
	}
	if err := c.sem.acquire(ctx, req.Priority); err != nil {
		return false, err
	}
	defer c.sem.release()
	s := &stream{c: c, ctx: ctx, req: req}
	for {
		for _, base := range req.Mirrors {
			var own bool
			resumed, own, err = s.from(base, fn)
			if err == nil || own {
				return resumed, err
			}
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
		}
		if s.failures >= c.opts.Retries || !IsTransient(err) {
			return false, err
		}
		if err := sleep(ctx, c.backoff(s.failures)); err != nil {
			return false, err
		}
		s.failures++
	}
}

// hasPartial reports whether an earlier process left part of req's body.
func (c *Client) hasPartial(req *Request) bool {
	if !req.Resumable || c.partials == nil {
		return false
	}
	c.partials.mu.Lock()
	defer c.partials.mu.Unlock()
	for _, base := range req.Mirrors {
		if c.partials.names[partialName(JoinURL(base, req.Path).String())] {
			return true
		}
	}
	return false
}

// errCannotResume marks a transfer that has to start over: the server
// did not continue it where it stopped.
var errCannotResume = errors.New("the server did not resume the transfer")

// stream is one Stream call: its retry budget is shared by the restarts
// and the resumes within a body.
type stream struct {
	c        *Client
	ctx      context.Context
	req      *Request
	failures int
}

// from streams the body from one base URL into fn. own reports an error
// of fn's own; other errors are the transfer's.
func (s *stream) from(base *url.URL, fn func(io.Reader) error) (resumed, own bool, err error) {
	u := JoinURL(base, s.req.Path)
	r := &streamReader{s: s, url: u.String(), shown: u.Redacted(), total: -1}
	defer func() {
		r.close()
		// What a broken transfer got stays for a later process.
		r.endPartial(err != nil && !own && (IsTransient(err) || s.ctx.Err() != nil))
	}()
	if err := r.open(); err != nil {
		return false, false, err
	}
	if err := fn(r); err != nil {
		if r.err != nil {
			// fn failed because its reader did.
			return r.resumed, false, r.err
		}
		return r.resumed, true, err
	}
	// What fn left unread (a compressed stream's trailer) is read so
	// that the connection can serve the next request.
	if r.err == nil {
		drain(r.resp.Body)
	}
	return r.resumed, false, nil
}

// streamReader reads a body, resuming it when its transfer breaks.
type streamReader struct {
	s          *stream
	url, shown string

	resp      *http.Response
	actx      context.Context
	cancel    context.CancelCauseFunc
	stall     *time.Timer
	off       int64 // bytes handed to fn
	total     int64 // the whole body's length, -1 when unknown
	validator string
	resumed   bool
	err       error // why the stream ended early

	part     *os.File // the body so far, for a later process; locked
	partPath string
}

// prepare sets the headers every request carries.
func (c *Client) prepare(hreq *http.Request) {
	hreq.Header.Set("User-Agent", c.opts.UserAgent)
	for k, vs := range c.opts.Header {
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	addCookies(hreq, c.cookies)
}

// open requests the body from r.off on.
func (r *streamReader) open() error {
	r.close()
	c := r.s.c
	actx, cancel := context.WithCancelCause(r.s.ctx)
	hreq, err := http.NewRequestWithContext(actx, http.MethodGet, r.url, nil)
	if err != nil {
		cancel(nil)
		return &TransportError{URL: r.shown, Err: err}
	}
	c.prepare(hreq)
	if r.off > 0 {
		hreq.Header.Set("Range", fmt.Sprintf("bytes=%d-", r.off))
		if r.validator != "" {
			hreq.Header.Set("If-Range", r.validator)
		}
	}
	r.actx, r.cancel = actx, cancel
	r.stall = time.AfterFunc(c.opts.StallTimeout, func() { cancel(errStalled) })
	c.requests.Add(1)
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return transportErr(r.s.ctx, actx, r.shown, err)
	}
	// The stall timer runs again only while fn waits in Read: a consumer
	// that pauses (waiting for a processing slot, say) leaves the data in
	// the socket's buffers, and that is no stall of the server's.
	r.stall.Stop()
	r.resp = resp
	switch code := resp.StatusCode; {
	case r.off > 0 && code == http.StatusPartialContent:
		if start, ok := contentRangeStart(resp.Header.Get("Content-Range")); !ok || start != r.off {
			return &TransportError{URL: r.shown, Err: fmt.Errorf("%w: unexpected Content-Range %q", errCannotResume, resp.Header.Get("Content-Range")), Retry: true}
		}
		r.resumed = true
	case r.off > 0 && (code == http.StatusOK || code == http.StatusRequestedRangeNotSatisfiable):
		// The server cannot continue where the transfer stopped (it
		// ignores ranges, or the file changed): start over.
		return &TransportError{URL: r.shown, Err: fmt.Errorf("%w: %w", errPartial, errCannotResume), Retry: true}
	case code >= 200 && code < 300:
		if v := resp.Header.Get("ETag"); v != "" {
			r.validator = v
		} else if v := resp.Header.Get("Last-Modified"); v != "" {
			r.validator = v
		}
		r.total = resp.ContentLength
		if max := r.s.req.MaxSize; max > 0 && r.total > max {
			return &SizeError{URL: r.shown, Max: max}
		}
		r.startPartial()
	default:
		return &StatusError{URL: r.shown, Status: code}
	}
	return nil
}

// startPartial starts keeping a large body in a partial file as it is
// read, as Fetch keeps the bodies it spills to disk: a later process
// resumes it should this one fail. A small body is fetched again instead.
func (r *streamReader) startPartial() {
	c := r.s.c
	if !r.s.req.Resumable || c.partials == nil || (r.total >= 0 && r.total <= memLimit) {
		return
	}
	f, path, err := c.partials.open(r.url, true)
	if err != nil || f == nil {
		return
	}
	if err := emptyFile(f); err != nil {
		f.Close()
		return
	}
	r.endPartial(false)
	r.part, r.partPath = f, path
}

// endPartial closes the partial file, keeping it on disk or not.
func (r *streamReader) endPartial(keep bool) {
	if r.part == nil {
		return
	}
	if !keep {
		// Removed before it is closed, while the lock is held.
		os.Remove(r.partPath)
		r.s.c.partials.forget(r.partPath)
	}
	r.part.Close()
	r.part = nil
}

// close ends the current request.
func (r *streamReader) close() {
	if r.stall != nil {
		r.stall.Stop()
		r.stall = nil
	}
	if r.resp != nil {
		r.resp.Body.Close()
		r.resp = nil
	}
	if r.cancel != nil {
		r.cancel(nil)
		r.cancel = nil
	}
}

func (r *streamReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.read(p)
	if r.stall != nil {
		r.stall.Stop()
	}
	return n, err
}

func (r *streamReader) read(p []byte) (int, error) {
	c := r.s.c
	for {
		if r.err != nil {
			return 0, r.err
		}
		r.stall.Reset(c.opts.StallTimeout)
		n, err := r.resp.Body.Read(p)
		if n > 0 {
			c.bytes.Add(int64(n))
			if r.part != nil {
				if _, err := r.part.WriteAt(p[:n], r.off); err != nil {
					r.endPartial(false)
				}
			}
			r.off += int64(n)
			if max := r.s.req.MaxSize; max > 0 && r.off > max {
				r.err = &SizeError{URL: r.shown, Max: max}
				return 0, r.err
			}
			return n, nil
		}
		switch {
		case err == nil:
			continue
		case errors.Is(err, io.EOF) && (r.total < 0 || r.off >= r.total):
			return 0, io.EOF
		case errors.Is(err, io.EOF):
			err = io.ErrUnexpectedEOF
		}
		if !r.resume(r.broken(err)) {
			return 0, r.err
		}
	}
}

// broken classifies a failed read as copyBody does.
func (r *streamReader) broken(err error) error {
	if r.s.ctx.Err() != nil {
		return r.s.ctx.Err()
	}
	if context.Cause(r.actx) == errStalled {
		return &TransportError{URL: r.shown, Err: errStalled, Retry: true}
	}
	return &TransportError{URL: r.shown, Err: fmt.Errorf("%w: %v", errPartial, err), Retry: true}
}

// resume continues the body after a failure, within the retry budget;
// otherwise it records why the stream ended and reports false.
func (r *streamReader) resume(err error) bool {
	s := r.s
	for {
		if !IsTransient(err) || errors.Is(err, errCannotResume) || s.req.NoResume || s.failures >= s.c.opts.Retries {
			r.err = err
			return false
		}
		if serr := sleep(s.ctx, s.c.backoff(s.failures)); serr != nil {
			r.err = serr
			return false
		}
		s.failures++
		if err = r.open(); err == nil {
			return true
		}
	}
}
