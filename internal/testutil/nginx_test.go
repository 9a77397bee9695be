package testutil

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNginx(t *testing.T) {
	root := t.TempDir()
	data := strings.Repeat("0123456789", 1000)
	if err := os.MkdirAll(filepath.Join(root, "objects", "ab"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "objects", "ab", "cd.filez"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	n := StartNginx(t, root, "")
	get := func(path, rng string) (int, string, string) {
		req, _ := http.NewRequest(http.MethodGet, n.URL+path, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	if code, ct, body := get("objects/ab/cd.filez", ""); code != 200 || body != data || ct != "application/octet-stream" {
		t.Errorf("GET: %d %s %d bytes", code, ct, len(body))
	}
	if code, _, body := get("objects/ab/cd.filez", "bytes=9000-"); code != 206 || body != data[9000:] {
		t.Errorf("Range GET: %d %d bytes", code, len(body))
	}
	if code, _, _ := get("objects/", ""); code != 403 {
		t.Errorf("directory listing: %d, want 403", code)
	}
	if code, _, _ := get("nosuch", ""); code != 404 {
		t.Errorf("missing file: %d", code)
	}
	want := []NginxRequest{
		{200, int64(len(data)), "", "/objects/ab/cd.filez"},
		{206, 1000, "bytes=9000-", "/objects/ab/cd.filez"},
	}
	got := n.Requests(t)
	if len(got) != 4 || got[0] != want[0] || got[1] != want[1] || got[2].Status != 403 || got[3].Status != 404 {
		t.Errorf("access log %+v", got)
	}
	n.ClearLog(t)
	if got := n.Requests(t); len(got) != 0 {
		t.Errorf("after ClearLog: %+v", got)
	}
}
