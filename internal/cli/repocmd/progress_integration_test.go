package repocmd_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/cli"
	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/server"
	"github.com/gostree/gostree/internal/testutil"
)

// progressSource makes an archive repository with a commit on "main"
// and returns its path and the tree's file count.
func progressSource(t *testing.T) (string, int) {
	t.Helper()
	d := t.TempDir()
	src, tree := filepath.Join(d, "src"), filepath.Join(d, "tree")
	const files = 40
	for i := range files {
		p := filepath.Join(tree, fmt.Sprintf("d%d", i%4), fmt.Sprintf("f%d", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(strings.Repeat(fmt.Sprintf("%d\n", i), 100+i)), 0o644)
	}
	clitest.MustOurs(t, nil, "init", "--repo="+src, "--mode=archive")
	clitest.MustOurs(t, nil, "commit", "--repo="+src, "-b", "main", "-s", "one", tree)
	return src, files
}

// progressLines reads the JSON lines of a --progress-json-fd file.
func progressLines(t *testing.T, f *os.File) []map[string]any {
	t.Helper()
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("progress line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		t.Fatal("no progress lines")
	}
	return out
}

func TestPullProgressJSON(t *testing.T) {
	src, files := progressSource(t)
	h, err := server.New(src, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); h.Close() })
	statusRe := regexp.MustCompile(`^(\d+) metadata, (\d+) content objects (fetched|imported)(; \d+ (B|KiB) transferred in \d+ seconds)?; .* content written\n$`)

	for _, tc := range []struct {
		name string
		args func(dst string) []string
	}{
		{"pull", func(dst string) []string {
			clitest.MustOurs(t, nil, "remote", "add", "--repo="+dst, "--no-gpg-verify", "origin", srv.URL)
			return []string{"pull", "--repo=" + dst, "origin", "main"}
		}},
		{"pull-local", func(dst string) []string { return []string{"pull-local", "--repo=" + dst, src, "main"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Without the option, and with it: stdout is the same line.
			var outs []string
			var lines []map[string]any
			for _, withFD := range []bool{false, true} {
				dst := filepath.Join(t.TempDir(), "dst")
				clitest.MustOurs(t, nil, "init", "--repo="+dst, "--mode=archive")
				args := tc.args(dst)
				var f *os.File
				if withFD {
					var err error
					if f, err = os.Create(filepath.Join(t.TempDir(), "progress")); err != nil {
						t.Fatal(err)
					}
					defer f.Close()
					args = append(args, "--progress-json-fd="+strconv.Itoa(int(f.Fd())))
				}
				out, errs, code := clitest.RunOurs(t, map[string]string{"OSTREE_SKIP_CACHE": "1"}, args...)
				if code != 0 {
					t.Fatalf("%v: exit %d: %s", args, code, errs)
				}
				outs = append(outs, regexp.MustCompile(`\d+ seconds`).ReplaceAllString(out, "N seconds"))
				if f != nil {
					lines = progressLines(t, f)
				}
			}
			if outs[0] != outs[1] {
				t.Errorf("stdout changed with --progress-json-fd:\n%q\n%q", outs[0], outs[1])
			}
			m := statusRe.FindStringSubmatch(outs[1])
			if m == nil {
				t.Fatalf("status line %q", outs[1])
			}
			meta, _ := strconv.Atoi(m[1])
			content, _ := strconv.Atoi(m[2])
			if content != files {
				t.Errorf("%d content objects, want %d", content, files)
			}
			last := lines[len(lines)-1]
			for _, l := range lines[:len(lines)-1] {
				if l["type"] != "progress" {
					t.Errorf("line %v: want type progress", l)
				}
			}
			// Progress counts the commit's detached metadata request;
			// neither status line counts it when there is none (the
			// local one counts what was written; the HTTP one follows
			// libostree 2025.2).
			metaFetched := meta + 1
			want := map[string]float64{
				"content_fetched": float64(content), "content_requested": float64(content),
				"metadata_fetched": float64(metaFetched), "metadata_requested": float64(metaFetched),
				"objects_fetched": float64(metaFetched + content), "objects_total": float64(metaFetched + content),
			}
			for k, v := range want {
				if last[k] != v {
					t.Errorf("done line %s = %v, want %v (%v)", k, last[k], v, last)
				}
			}
			if last["type"] != "done" || last["phase"] != "writing" || last["error"] != nil {
				t.Errorf("done line %v", last)
			}
			if b := last["bytes"].(float64); (tc.name == "pull") != (b > 0) {
				t.Errorf("%s: %v bytes", tc.name, b)
			}
		})
	}

	t.Run("bad fd", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "dst")
		clitest.MustOurs(t, nil, "init", "--repo="+dst)
		_, errs, code := clitest.RunOurs(t, nil, "pull-local", "--repo="+dst, "--progress-json-fd=987", src, "main")
		if code != 1 || errs != "error: Invalid --progress-json-fd 987: Bad file descriptor\n" {
			t.Errorf("exit %d, stderr %q", code, errs)
		}
	})
	t.Run("error in done line", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "dst")
		clitest.MustOurs(t, nil, "init", "--repo="+dst)
		f, err := os.Create(filepath.Join(t.TempDir(), "progress"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		_, _, code := clitest.RunOurs(t, nil, "pull-local", "--repo="+dst, "--progress-json-fd="+strconv.Itoa(int(f.Fd())), src, "nosuch")
		if code != 1 {
			t.Fatalf("exit %d", code)
		}
		lines := progressLines(t, f)
		if last := lines[len(lines)-1]; last["type"] != "done" || !strings.Contains(fmt.Sprint(last["error"]), "nosuch") {
			t.Errorf("done line %v", last)
		}
	})
}

// TestPullProgressOnTerminal pulls with stdout on a pseudo-terminal: a
// bar is drawn, then cleared, and the usual status line follows.
func TestPullProgressOnTerminal(t *testing.T) {
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		testutil.Skip(t, "no pseudo-terminals: "+err.Error())
	}
	defer ptmx.Close()
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Raw output: no \n to \r\n translation.
	tio, err := unix.IoctlGetTermios(int(pts.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Oflag &^= unix.OPOST
	if err := unix.IoctlSetTermios(int(pts.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	unix.IoctlSetWinsize(int(pts.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 100})

	var screen bytes.Buffer
	var wg sync.WaitGroup
	wg.Go(func() { screen.ReadFrom(ptmx) }) // ends with EIO once pts is closed

	src, _ := progressSource(t)
	dst := filepath.Join(t.TempDir(), "dst")
	clitest.MustOurs(t, nil, "init", "--repo="+dst)
	var errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"pull-local", "--repo=" + dst, src, "main"}, strings.NewReader(""), pts, &errb, func(string) string { return "" })
	pts.Close()
	wg.Wait()
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got := screen.String()
	re := regexp.MustCompile(`^(\r[^\r\n]*: [^\r\n]*\x1b\[K)+\r\x1b\[K\d+ metadata, 40 content objects imported; .* content written\n$`)
	if !re.MatchString(got) {
		t.Errorf("terminal output %q", got)
	}
}
