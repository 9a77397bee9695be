package fsverity

import (
	"errors"
	"fmt"
	"os"
)

// Sentinels for the outcomes callers branch on. Errors from Enable and
// Measure wrap one of them (where one fits) and the kernel's errno, so
// errors.Is works with both.
var (
	// ErrNotSupported: the file's filesystem (or the kernel) has no
	// fs-verity, or it is not turned on (ext4 needs the verity feature).
	ErrNotSupported = errors.New("fs-verity not supported by the filesystem")
	// ErrNotEnabled: the file has no fs-verity.
	ErrNotEnabled = errors.New("fs-verity not enabled on the file")
	// ErrAlreadyEnabled: Enable on a file that already has fs-verity;
	// callers that only want the file protected may treat it as success.
	ErrAlreadyEnabled = errors.New("fs-verity already enabled on the file")
	// ErrOpenForWriting: Enable while the file is open for writing
	// somewhere (ETXTBSY), including through f itself.
	ErrOpenForWriting = errors.New("file is open for writing")
)

// verityError is an ioctl failure: the operation, the file, the sentinel
// that classifies it (or nil) and the errno.
type verityError struct {
	op, path string
	kind     error
	errno    error
	hint     string
}

func (e *verityError) Error() string {
	msg := fmt.Sprintf("fsverity: %s %s: ", e.op, e.path)
	if e.kind != nil {
		msg += e.kind.Error() + ": "
	}
	msg += e.errno.Error()
	if e.hint != "" {
		msg += " (" + e.hint + ")"
	}
	return msg
}

func (e *verityError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.errno}
	}
	return []error{e.kind, e.errno}
}

func newError(op string, f *os.File, kind, errno error, hint string) error {
	return &verityError{op: op, path: f.Name(), kind: kind, errno: errno, hint: hint}
}
