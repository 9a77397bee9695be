package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/server"
	"github.com/gostree/gostree/internal/testutil"
)

// runSetup runs one command's setup function the way Main runs a
// registered command, for commands the lead registers later.
func runSetup(ctx context.Context, setup func(*Invocation) func([]string) error, env map[string]string, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	in := &Invocation{Ctx: ctx, Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Path: "ostree cmd",
		Env: func(k string) string { return env[k] }}
	if err := RunSetup(in, setup, args); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			fmt.Fprintf(&errb, "error: %s\n", ee.msg)
			return out.String(), errb.String(), ee.code
		}
		fmt.Fprintf(&errb, "error: %s\n", errorText(err))
		return out.String(), errb.String(), 1
	}
	return out.String(), errb.String(), 0
}

// refServe serves a reference-made repository with our server.
func refServe(t *testing.T, ref string, summary bool) (string, string) {
	t.Helper()
	d := t.TempDir()
	src := filepath.Join(d, "src")
	tree := filepath.Join(d, "tree")
	os.MkdirAll(filepath.Join(tree, "baz"), 0o755)
	os.WriteFile(filepath.Join(tree, "firstfile"), []byte("first\n"), 0o644)
	os.WriteFile(filepath.Join(tree, "baz", "cow"), []byte("moo\n"), 0o644)
	mustRef(t, ref, "init", "--repo="+src, "--mode=archive")
	mustRef(t, ref, "commit", "--repo="+src, "-b", "main", "-s", "one", "--tree=dir="+tree)
	os.WriteFile(filepath.Join(tree, "baz", "saucer"), []byte("alien\n"), 0o644)
	mustRef(t, ref, "commit", "--repo="+src, "-b", "main", "-s", "two", "--tree=dir="+tree)
	if summary {
		mustRef(t, ref, "summary", "-u", "--repo="+src)
	}
	h, err := server.New(src, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); h.Close() })
	return src, srv.URL
}

// TestPullCLIMatchesReference pulls the same repository with the
// reference and with us and compares what both print and store.
func TestPullCLIMatchesReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	// The reference is 2022.7, which counts absent detached metadata.
	compat := map[string]string{compatEnv: "2022.7"}
	ctx := context.Background()
	status := regexp.MustCompile(`^(\d+ metadata, \d+ content objects fetched); \d+ (B|KiB) transferred in \d+ seconds; (.*) content written\n$`)
	for _, summary := range []bool{false, true} {
		src, url := refServe(t, ref, summary)
		want := mustRef(t, ref, "rev-parse", "--repo="+src, "main")
		parent := mustRef(t, ref, "rev-parse", "--repo="+src, "main^")
		for _, tc := range []struct {
			name string
			args []string
			rev  string // what origin:main must name afterwards
		}{
			{"plain", []string{"origin", "main"}, want},
			{"depth", []string{"--depth=-1", "origin", "main"}, want},
			{"refspec", []string{"origin:main"}, want},
			{"pinned", []string{"origin", "main@" + parent}, parent},
			{"commit only", []string{"--commit-metadata-only", "origin", "main"}, want},
			{"subpath", []string{"--subpath=/baz", "origin", "main"}, want},
		} {
			t.Run(fmt.Sprintf("summary=%v/%s", summary, tc.name), func(t *testing.T) {
				d := t.TempDir()
				refRepo, ourRepo := filepath.Join(d, "ref"), filepath.Join(d, "ours")
				for _, r := range []string{refRepo, ourRepo} {
					mustRef(t, ref, "init", "--repo="+r, "--mode=archive")
					mustRef(t, ref, "remote", "add", "--repo="+r, "--set=gpg-verify=false", "origin", url)
				}
				rout, rerr, rcode := runRef(t, ref, append([]string{"pull", "--repo=" + refRepo}, tc.args...)...)
				out, errs, code := runSetup(ctx, setupPull, compat, append([]string{"--repo=" + ourRepo}, tc.args...)...)
				if code != 0 || rcode != 0 {
					t.Fatalf("exit %d (%s), reference %d (%s)", code, errs, rcode, rerr)
				}
				rm, m := status.FindStringSubmatch(rout), status.FindStringSubmatch(out)
				if rm == nil || m == nil {
					t.Fatalf("status %q, reference %q", out, rout)
				}
				if m[1] != rm[1] || m[3] != rm[3] {
					t.Errorf("status %q, reference %q", out, rout)
				}
				if got := mustRef(t, ref, "rev-parse", "--repo="+ourRepo, "origin:main"); got != tc.rev {
					t.Errorf("origin:main = %s, want %s", got, tc.rev)
				}
				a, _ := os.ReadDir(filepath.Join(refRepo, "state"))
				b, _ := os.ReadDir(filepath.Join(ourRepo, "state"))
				if len(a) != len(b) {
					t.Errorf("%d commitpartial files, reference %d", len(b), len(a))
				}
				mustRef(t, ref, "fsck", "--repo="+ourRepo)
			})
		}
	}
}

func TestPullCLIErrors(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	_, url := refServe(t, ref, false)
	d := t.TempDir()
	refRepo, ourRepo := filepath.Join(d, "ref"), filepath.Join(d, "ours")
	for _, r := range []string{refRepo, ourRepo} {
		mustRef(t, ref, "init", "--repo="+r, "--mode=archive")
		mustRef(t, ref, "remote", "add", "--repo="+r, "--set=gpg-verify=false", "origin", url)
		mustRef(t, ref, "remote", "add", "--repo="+r, "signed", url)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no remote", nil},
		{"unknown remote", []string{"nosuch", "main"}},
		{"no branches", []string{"origin"}},
		{"mirror without summary", []string{"--mirror", "origin"}},
		{"bad override", []string{"origin", "main@abc"}},
		{"dry run", []string{"--dry-run", "origin", "main"}},
		{"header", []string{"--http-header=novalue", "origin", "main"}},
		{"unsigned", []string{"signed", "main"}},
		{"archive deltas", []string{"--require-static-deltas", "origin", "main"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rerr, rcode := runRef(t, ref, append([]string{"pull", "--repo=" + refRepo}, tc.args...)...)
			_, errs, code := runSetup(ctx, setupPull, nil, append([]string{"--repo=" + ourRepo}, tc.args...)...)
			if code != rcode {
				t.Fatalf("exit %d (%s), reference %d (%s)", code, errs, rcode, rerr)
			}
			if !strings.HasPrefix(errs, "error: ") {
				t.Fatalf("stderr %q", errs)
			}
			// The reference prints usage before some errors; compare the
			// error lines.
			last := func(s string) string {
				lines := strings.Split(strings.TrimSpace(s), "\n")
				return lines[len(lines)-1]
			}
			if last(errs) != last(rerr) {
				t.Errorf("stderr %q, reference %q", last(errs), last(rerr))
			}
		})
	}
}

func TestServeCommand(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	src, _ := refServe(t, ref, false)
	ctx, cancel := context.WithCancel(context.Background())
	portFile := filepath.Join(t.TempDir(), "port")
	type result struct {
		out, errs string
		code      int
	}
	done := make(chan result, 1)
	go func() {
		o, e, c := runSetup(ctx, setupServe, nil, "--repo="+src, "--port-file="+portFile, "--autoupdate-summary")
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
	mustRef(t, ref, "init", "--repo="+dst, "--mode=bare-user")
	mustRef(t, ref, "remote", "add", "--repo="+dst, "--set=gpg-verify=false", "origin", base)
	mustRef(t, ref, "pull", "--repo="+dst, "origin", "main")
	mustRef(t, ref, "fsck", "--repo="+dst)
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
