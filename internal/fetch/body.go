package fetch

import (
	"bytes"
	"errors"
	"io"
	"os"
	"time"
)

// Body is a downloaded file, held in memory or in a temporary file.
// Close it when done: that removes its file.
type Body struct {
	// URL is the (redacted) URL it came from.
	URL string
	// NotModified reports a 304 answer to a conditional request; the
	// body is then empty.
	NotModified bool
	// ETag and LastModified are the response's validators.
	ETag         string
	LastModified time.Time
	// Resumed reports that part of the body came from an earlier,
	// interrupted download; a caller that finds it corrupt should fetch
	// again with NoResume.
	Resumed bool

	data   []byte
	file   *os.File
	size   int64
	remove string // partial file to delete on Close
}

// Size is the body's length in bytes.
func (b *Body) Size() int64 {
	if b.file != nil {
		return b.size
	}
	return int64(len(b.data))
}

// Bytes returns the whole body.
func (b *Body) Bytes() ([]byte, error) {
	if b.file == nil {
		return b.data, nil
	}
	out := make([]byte, b.size)
	if _, err := b.file.ReadAt(out, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return out, nil
}

// Reader reads the body from its start; each call starts over.
func (b *Body) Reader() io.Reader {
	if b.file == nil {
		return bytes.NewReader(b.data)
	}
	return io.NewSectionReader(b.file, 0, b.size)
}

// Close releases the body and deletes its partial file, if any.
func (b *Body) Close() error {
	var err error
	if b.remove != "" {
		// Remove before closing, while the lock is still held.
		if e := os.Remove(b.remove); e != nil && !errors.Is(e, os.ErrNotExist) {
			err = e
		}
		b.remove = ""
	}
	if b.file != nil {
		if e := b.file.Close(); e != nil && err == nil {
			err = e
		}
		b.file = nil
	}
	b.data = nil
	return err
}
