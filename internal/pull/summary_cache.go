package pull

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/fsx"
)

// summaryCache is libostree's summary cache, CACHEDIR/summaries (by
// default tmp/cache/summaries): a remote's last signed summary and its
// summary.sig, with the download's Last-Modified as mtime and its ETag in
// the user.etag xattr, so that the next pull asks whether they changed.
type summaryCache struct {
	dir string // "" disables the cache
}

func (c summaryCache) path(remote, ext string) string {
	return filepath.Join(c.dir, "summaries", remote+ext)
}

// props returns the validators of a cached file, for a conditional
// request.
func (c summaryCache) props(remote, ext string) (etag string, modified time.Time) {
	if c.dir == "" {
		return "", time.Time{}
	}
	p := c.path(remote, ext)
	st, err := os.Stat(p)
	if err != nil {
		return "", time.Time{}
	}
	if st.ModTime().Unix() > 0 {
		modified = time.Unix(st.ModTime().Unix(), 0)
	}
	if b, err := fsx.Lgetxattr(p, "user.etag"); err == nil && len(b) > 0 && bytes.IndexByte(b, 0) < 0 {
		etag = string(b)
	}
	return etag, modified
}

// load returns a cached file, or nil.
func (c summaryCache) load(remote, ext string) ([]byte, error) {
	if c.dir == "" {
		return nil, nil
	}
	b, err := os.ReadFile(c.path(remote, ext))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// loadIfSameSig returns the cached summary when the cached signature is
// sig.
func (c summaryCache) loadIfSameSig(remote string, sig []byte) ([]byte, error) {
	old, err := c.load(remote, ".sig")
	if err != nil || old == nil || !bytes.Equal(old, sig) {
		return nil, err
	}
	sum, err := c.load(remote, "")
	if err == nil && sum == nil {
		// A signature without its summary is useless.
		os.Remove(c.path(remote, ".sig"))
	}
	return sum, err
}

type cachedFile struct {
	data     []byte
	etag     string
	modified time.Time
}

// store replaces the cached summary and signature.
func (c summaryCache) store(remote string, sum, sig cachedFile, sync bool) error {
	if c.dir == "" || strings.ContainsRune(remote, '/') {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(c.dir, "summaries"), 0o755); err != nil {
		return err
	}
	for _, f := range []struct {
		ext string
		cachedFile
	}{{"", sum}, {".sig", sig}} {
		p := c.path(remote, f.ext)
		if err := fsx.WriteFileAtomic(p, f.data, 0o644, sync); err != nil {
			return err
		}
		// The validators are a bonus: failing to store them is fine.
		if f.etag != "" {
			fsx.Lsetxattr(p, "user.etag", []byte(f.etag))
		}
		if !f.modified.IsZero() {
			os.Chtimes(p, time.Time{}, f.modified)
		}
	}
	return nil
}

func readFileIfExists(p string) ([]byte, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}
