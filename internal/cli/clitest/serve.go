package clitest

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/gostree/gostree/internal/server"
)

// RefServe serves a reference-made repository with our server.
func RefServe(t *testing.T, ref string, summary bool) (string, string) {
	t.Helper()
	d := t.TempDir()
	src := filepath.Join(d, "src")
	tree := filepath.Join(d, "tree")
	os.MkdirAll(filepath.Join(tree, "baz"), 0o755)
	os.WriteFile(filepath.Join(tree, "firstfile"), []byte("first\n"), 0o644)
	os.WriteFile(filepath.Join(tree, "baz", "cow"), []byte("moo\n"), 0o644)
	MustRef(t, ref, "init", "--repo="+src, "--mode=archive")
	MustRef(t, ref, "commit", "--repo="+src, "-b", "main", "-s", "one", "--tree=dir="+tree)
	os.WriteFile(filepath.Join(tree, "baz", "saucer"), []byte("alien\n"), 0o644)
	MustRef(t, ref, "commit", "--repo="+src, "-b", "main", "-s", "two", "--tree=dir="+tree)
	if summary {
		MustRef(t, ref, "summary", "-u", "--repo="+src)
	}
	h, err := server.New(src, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); h.Close() })
	return src, srv.URL
}
