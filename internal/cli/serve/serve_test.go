package serve_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/cli/serve"
	"github.com/gostree/gostree/internal/testutil"
)

func TestServeCommand(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	src, _ := clitest.RefServe(t, ref, false)
	ctx, cancel := context.WithCancel(context.Background())
	portFile := filepath.Join(t.TempDir(), "port")
	type result struct {
		out, errs string
		code      int
	}
	done := make(chan result, 1)
	go func() {
		o, e, c := clitest.RunSetup(ctx, serve.Setup, nil, "--repo="+src, "--port-file="+portFile, "--autoupdate-summary")
		done <- result{o, e, c}
	}()
	var port string
	for range 100 {
		if b, err := os.ReadFile(portFile); err == nil && len(b) > 0 {
			port = strings.TrimSpace(string(b))
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if port == "" {
		cancel()
		t.Fatal("serve did not write its port")
	}
	base := "http://127.0.0.1:" + port
	resp, err := http.Get(base + "/summary")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("summary: %d (autoupdate should create it)", resp.StatusCode)
	}
	// The reference pulls from it.
	dst := filepath.Join(t.TempDir(), "dst")
	clitest.MustRef(t, ref, "init", "--repo="+dst, "--mode=bare-user")
	clitest.MustRef(t, ref, "remote", "add", "--repo="+dst, "--set=gpg-verify=false", "origin", base)
	clitest.MustRef(t, ref, "pull", "--repo="+dst, "origin", "main")
	clitest.MustRef(t, ref, "fsck", "--repo="+dst)
	cancel()
	select {
	case r := <-done:
		if r.code != 0 || !strings.HasPrefix(r.out, "Serving "+src+" at http://127.0.0.1:"+port+"/") {
			t.Errorf("serve exited %d, stdout %q, stderr %q", r.code, r.out, r.errs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}
