package fetch

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gostree/gostree/internal/errdefs"
)

// StatusError is an HTTP response that is neither a success nor a "not
// modified" answer to a conditional request.
type StatusError struct {
	URL    string // redacted: no password
	Status int
}

func (e *StatusError) Error() string {
	// libostree (curl backend) says "Server returned HTTP 404"; the test
	// suite also accepts the status text after the code.
	return fmt.Sprintf("While fetching %s: Server returned HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// Is classifies 403, 404 and 410 as errdefs.ErrNotFound, as libostree
// does (an optional file a server forbids is treated as absent).
func (e *StatusError) Is(target error) bool {
	if target == errdefs.ErrNotFound {
		return e.Status == http.StatusNotFound || e.Status == http.StatusGone || e.Status == http.StatusForbidden
	}
	return false
}

// Transient reports statuses worth retrying: request timeouts, rate
// limits and server-side failures.
func (e *StatusError) Transient() bool {
	switch e.Status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// TransportError is a failure below HTTP: connecting, a dropped
// connection, a truncated body, a stalled transfer.
type TransportError struct {
	URL string
	Err error
	// Retry marks failures that a new attempt may fix.
	Retry bool
}

func (e *TransportError) Error() string { return fmt.Sprintf("While fetching %s: %v", e.URL, e.Err) }
func (e *TransportError) Unwrap() error { return e.Err }

// Transient reports whether a new attempt may succeed.
func (e *TransportError) Transient() bool { return e.Retry }

// ErrTooLarge classifies downloads that exceed their size limit.
var ErrTooLarge = errors.New("fetch: exceeded maximum size")

// SizeError reports a download larger than its limit.
type SizeError struct {
	URL string
	Max int64
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("URI %s exceeded maximum size of %d bytes", e.URL, e.Max)
}

// Is classifies the error as ErrTooLarge.
func (e *SizeError) Is(target error) bool { return target == ErrTooLarge }

// curlError is a transfer failure worded as libostree reports curl's:
// "[CODE] curl_easy_strerror text", which the test suite greps for.
type curlError struct {
	code int
	msg  string
}

func (e *curlError) Error() string { return fmt.Sprintf("[%d] %s", e.code, e.msg) }

// Transfer failures, with curl's codes.
var (
	errPartial    error = &curlError{18, "Transferred a partial file"}
	errStalled    error = &curlError{28, "Timeout was reached"}
	errEmptyReply error = &curlError{52, "Server returned nothing (no headers, no data)"}
)

// IsTransient reports whether err is worth retrying.
func IsTransient(err error) bool {
	var t interface{ Transient() bool }
	return errors.As(err, &t) && t.Transient()
}
