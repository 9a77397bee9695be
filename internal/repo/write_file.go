package repo

import (
	"context"
	"io"
	"os"

	"github.com/gostree/gostree/internal/object"
)

// WriteFile stores a content object from its header and payload (size
// bytes; ignored for symlinks). The checksum is computed while writing;
// when expected is non-nil a mismatch is an error and nothing is stored.
// An object that already exists is not rewritten.
func (t *Txn) WriteFile(ctx context.Context, h *object.FileHeader, size int64, payload io.Reader, expected *object.Checksum) (object.Checksum, error) {
	c, _, _, err := t.writeHashed(ctx, h, size, payload, expected)
	return c, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// fileMode converts st_mode permission bits to an os.FileMode.
func fileMode(m uint32) os.FileMode {
	fm := os.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		fm |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		fm |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		fm |= os.ModeSticky
	}
	return fm
}
