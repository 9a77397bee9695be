package pull_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/cli"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

// gpgKeyID signs every commit and summary here: libtest.sh's
// TEST_GPG_KEYID_1, whose public key is gpghome/key1.asc; key2.asc is a
// key that did not sign.
const gpgKeyID = "7FCA23D8472CDAFA"

// gpgTestHome copies the test suite's GnuPG home (gpg wants it private).
func gpgTestHome(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "gpghome")
	if err := os.CopyFS(dst, os.DirFS("../sign/testdata/gpghome")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	// gpgme (the reference signing) may start an agent there.
	t.Cleanup(func() {
		if p, err := exec.LookPath("gpgconf"); err == nil {
			exec.Command(p, "--homedir", dst, "--kill", "gpg-agent").Run()
		}
	})
	return dst
}

// ostreeTool runs one implementation's command line: the reference
// binary, or ours in process.
type ostreeTool struct {
	name string
	run  func(args ...string) (stdout, stderr string, ok bool)
}

func (o ostreeTool) must(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, ok := o.run(args...)
	if !ok {
		t.Fatalf("%s %v: %s%s", o.name, args, out, errOut)
	}
	return out
}

func referenceTool(t *testing.T) ostreeTool {
	ref := testutil.ReferenceOstree(t)
	return ostreeTool{"reference", func(args ...string) (string, string, bool) {
		var out, errOut bytes.Buffer
		cmd := exec.Command(ref, args...)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		return out.String(), errOut.String(), err == nil
	}}
}

func gostreeTool(ctx context.Context) ostreeTool {
	return ostreeTool{"gostree", func(args ...string) (string, string, bool) {
		var out, errOut bytes.Buffer
		code := cli.Main(ctx, args, strings.NewReader(""), &out, &errOut, func(string) string { return "" })
		return out.String(), errOut.String(), code == 0
	}}
}

// writeInteropTree fills dir with a tree worth serving: a 1 MiB file (one
// sendfile, and something to resume), small files, a symlink and an
// executable; version 2 adds and changes files.
func writeInteropTree(t *testing.T, dir string, version int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	files := map[string]string{"big": string(big), "bin/x": "#!/bin/sh\necho hi\n"}
	for i := range 8 {
		files[fmt.Sprintf("small/%d", i)] = strings.Repeat(fmt.Sprintf("%d %d\n", i, version), 10+i*100)
	}
	if version > 1 {
		files["small/new"] = "new\n"
	}
	for p, c := range files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, "bin/x"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "link"))
	if err := os.Symlink("big", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
}

// signedRepo has tool write an archive repository with two signed
// commits on main and a signed summary; it returns the path and the
// head commit.
func signedRepo(t *testing.T, tool ostreeTool, home string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	tree, rp := filepath.Join(dir, "tree"), filepath.Join(dir, "repo")
	sign := []string{"--gpg-sign=" + gpgKeyID, "--gpg-homedir=" + home}
	tool.must(t, "--repo="+rp, "init", "--mode=archive")
	var head string
	for v := 1; v <= 2; v++ {
		writeInteropTree(t, tree, v)
		head = strings.TrimSpace(tool.must(t, append([]string{"--repo=" + rp, "commit", "-b", "main", "-s", fmt.Sprint("v", v), "--tree=dir=" + tree}, sign...)...))
	}
	tool.must(t, append([]string{"--repo=" + rp, "summary", "-u"}, sign...)...)
	return rp, head
}

// checkPulled checks dst after puller pulled head: the ref and both
// fscks, and that the other implementation finds head's signature good
// with the keys the puller imported.
func checkPulled(t *testing.T, puller ostreeTool, tools []ostreeTool, dst, head string) {
	t.Helper()
	if got := strings.TrimSpace(puller.must(t, "--repo="+dst, "rev-parse", "origin:main")); got != head {
		t.Errorf("origin:main = %s, want %s", got, head)
	}
	for _, tool := range tools {
		if out := tool.must(t, "--repo="+dst, "fsck"); !strings.Contains(out, "object fsck of 2 commits completed successfully") {
			t.Errorf("%s fsck: %s", tool.name, out)
		}
		if tool.name == puller.name {
			continue
		}
		if out := tool.must(t, "--repo="+dst, "show", "--gpg-verify-remote=origin", head); !strings.Contains(out, `Good signature from "Ostree Tester <test@test.com>"`) {
			t.Errorf("%s show: %s", tool.name, out)
		}
	}
}

// TestSignedInteropOverWebServers serves GPG-signed repositories that
// each implementation wrote with nginx, ostree-trivial-httpd and our
// server, and has the other implementation pull them with gpg-verify and
// gpg-verify-summary on. (Unsigned pulls in every mode are
// TestReferencePullsFromOurServer's and TestPullFromReferenceServer's.)
func TestSignedInteropOverWebServers(t *testing.T) {
	ref := referenceTool(t)
	ours := gostreeTool(context.Background())
	tools := []ostreeTool{ref, ours}
	home := gpgTestHome(t)
	key1, key2 := filepath.Join(home, "key1.asc"), filepath.Join(home, "key2.asc")
	type pullCase struct {
		server string
		tool   ostreeTool
		mode   string
	}
	for _, tc := range []struct {
		maker ostreeTool
		pulls []pullCase
		// wrongKeySummary is gpg-verify-summary for the pull with a key
		// that did not sign.
		wrongKeySummary bool
	}{
		{ours, []pullCase{
			{"nginx", ref, "bare"}, {"nginx", ref, "bare-user"}, {"nginx", ref, "archive"}, {"nginx", ours, "bare-user"},
			{"gostree-serve", ref, "archive"},
		}, true},
		{ref, []pullCase{
			{"nginx", ours, "archive"}, {"nginx", ours, "bare-user"}, {"trivial-httpd", ours, "archive"},
		}, false},
	} {
		src, head := signedRepo(t, tc.maker, home)
		r, err := repo.Open(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		ourURL, _ := serveRepo(t, r, nil)
		urls := map[string]string{"nginx": testutil.StartNginx(t, src, "").URL, "trivial-httpd": trivialHTTPD(t, src), "gostree-serve": ourURL}
		for _, p := range tc.pulls {
			t.Run(fmt.Sprintf("%s-made/%s/%s-pulls-into-%s", tc.maker.name, p.server, p.tool.name, p.mode), func(t *testing.T) {
				t.Parallel()
				dst := filepath.Join(t.TempDir(), "dst")
				p.tool.must(t, "--repo="+dst, "init", "--mode="+p.mode)
				p.tool.must(t, "--repo="+dst, "remote", "add", "--gpg-import="+key1, "--set=gpg-verify-summary=true", "origin", urls[p.server])
				p.tool.must(t, "--repo="+dst, "pull", "--depth=-1", "origin", "main")
				checkPulled(t, p.tool, tools, dst, head)
			})
		}
		// With the wrong key both refuse, with the same words, and keep
		// nothing unverified.
		t.Run(fmt.Sprintf("%s-made/nginx/wrong-key/verify-summary=%v", tc.maker.name, tc.wrongKeySummary), func(t *testing.T) {
			t.Parallel()
			var msgs []string
			for _, tool := range tools {
				dst := filepath.Join(t.TempDir(), "dst")
				tool.must(t, "--repo="+dst, "init", "--mode=archive")
				tool.must(t, "--repo="+dst, "remote", "add", "--gpg-import="+key2, fmt.Sprintf("--set=gpg-verify-summary=%v", tc.wrongKeySummary), "origin", urls["nginx"])
				out, errOut, ok := tool.run("--repo="+dst, "pull", "origin", "main")
				if ok {
					t.Fatalf("%s pulled with the wrong key: %s", tool.name, out)
				}
				msgs = append(msgs, errOut)
				if !strings.Contains(errOut, "Can't check signature: public key not found") {
					t.Errorf("%s: %s", tool.name, errOut)
				}
				if _, _, ok := tool.run("--repo="+dst, "rev-parse", "origin:main"); ok {
					t.Errorf("%s wrote origin:main", tool.name)
				}
				for _, other := range tools {
					if _, errOut, ok := other.run("--repo="+dst, "fsck"); !ok {
						t.Errorf("%s fsck after %s's refused pull: %s", other.name, tool.name, errOut)
					}
				}
			}
			if msgs[0] != msgs[1] {
				t.Errorf("errors differ:\n%s: %s%s: %s", tools[0].name, msgs[0], tools[1].name, msgs[1])
			}
		})
	}
}

// TestSignatureChangesOverNginx changes the detached metadata nginx serves
// for a commit both implementations have pulled: emptied, deleted,
// restored. Both must agree on each pull's outcome and on what is kept.
func TestSignatureChangesOverNginx(t *testing.T) {
	ref := referenceTool(t)
	ours := gostreeTool(context.Background())
	tools := []ostreeTool{ref, ours}
	home := gpgTestHome(t)
	src, head := signedRepo(t, ours, home)
	url := testutil.StartNginx(t, src, "").URL
	c, err := object.ParseChecksum(head)
	if err != nil {
		t.Fatal(err)
	}
	meta := "objects/" + object.LoosePath(c, object.TypeCommitMeta, true)
	signed, err := os.ReadFile(filepath.Join(src, meta))
	if err != nil {
		t.Fatal(err)
	}
	dsts := map[string]string{}
	for _, tool := range tools {
		dst := filepath.Join(t.TempDir(), tool.name)
		tool.must(t, "--repo="+dst, "init", "--mode=archive")
		tool.must(t, "--repo="+dst, "remote", "add", "--gpg-import="+filepath.Join(home, "key1.asc"), "origin", url)
		tool.must(t, "--repo="+dst, "remote", "add", "--no-gpg-verify", "plain", url)
		tool.must(t, "--repo="+dst, "pull", "origin", "main")
		dsts[tool.name] = dst
	}
	for _, step := range []struct {
		name   string
		served []byte // nil: the file is deleted
		remote string
		ok     bool
		kept   []byte // the local detached metadata afterwards
	}{
		{"corrupted, verified", []byte("borkborkbork\n"), "origin", false, signed},
		{"emptied, verified", []byte{}, "origin", false, signed},
		{"emptied, unverified", []byte{}, "plain", true, []byte{}},
		{"restored", signed, "origin", true, signed},
		{"deleted", nil, "origin", true, signed},
		{"deleted, unverified", nil, "plain", true, signed},
	} {
		t.Run(step.name, func(t *testing.T) {
			p := filepath.Join(src, meta)
			if step.served == nil {
				os.Remove(p)
			} else if err := os.WriteFile(p, step.served, 0o644); err != nil {
				t.Fatal(err)
			}
			var msgs []string
			for _, tool := range tools {
				dst := dsts[tool.name]
				_, errOut, ok := tool.run("--repo="+dst, "pull", step.remote, "main")
				if ok != step.ok {
					t.Errorf("%s pull succeeded: %v, want %v: %s", tool.name, ok, step.ok, errOut)
				}
				msgs = append(msgs, errOut)
				got, err := os.ReadFile(filepath.Join(dst, meta))
				if err != nil || !bytes.Equal(got, step.kept) {
					t.Errorf("%s kept %d bytes of detached metadata (%v), want %d", tool.name, len(got), err, len(step.kept))
				}
			}
			if msgs[0] != msgs[1] {
				t.Errorf("errors differ:\n%s: %s%s: %s", tools[0].name, msgs[0], tools[1].name, msgs[1])
			}
		})
	}
	// A fresh pull of a commit whose signatures the server lost fails.
	for name, served := range map[string][]byte{"deleted": nil, "emptied": {}} {
		t.Run("fresh pull, signatures "+name, func(t *testing.T) {
			p := filepath.Join(src, meta)
			if served == nil {
				os.Remove(p)
			} else if err := os.WriteFile(p, served, 0o644); err != nil {
				t.Fatal(err)
			}
			var msgs []string
			for _, tool := range tools {
				dst := filepath.Join(t.TempDir(), "dst")
				tool.must(t, "--repo="+dst, "init", "--mode=archive")
				tool.must(t, "--repo="+dst, "remote", "add", "--gpg-import="+filepath.Join(home, "key1.asc"), "origin", url)
				_, errOut, ok := tool.run("--repo="+dst, "pull", "origin", "main")
				if ok {
					t.Errorf("%s pulled a commit without signatures", tool.name)
				}
				msgs = append(msgs, errOut)
				if _, err := os.Stat(filepath.Join(dst, "objects", object.LoosePath(c, object.TypeCommit, true))); err == nil {
					t.Errorf("%s stored the unverified commit", tool.name)
				}
			}
			if !strings.Contains(msgs[0], "GPG verification enabled, but no signatures found") || msgs[0] != msgs[1] {
				t.Errorf("errors:\n%s: %s%s: %s", tools[0].name, msgs[0], tools[1].name, msgs[1])
			}
		})
	}
}

// TestPullResumesOverNginx interrupts a pull from nginx in the middle of
// the large file; the next pull asks nginx for the rest only (a Range
// request), and fetches nothing the first one stored.
func TestPullResumesOverNginx(t *testing.T) {
	ref := referenceTool(t)
	ours := gostreeTool(context.Background())
	home := gpgTestHome(t)
	src, head := signedRepo(t, ours, home)
	// Requests without a Range crawl after their first 256 KiB.
	srv := testutil.StartNginx(t, src, "limit_rate_after 256k;\nif ($http_range = \"\") {\n\tset $limit_rate 16k;\n}\n")
	dst := filepath.Join(t.TempDir(), "dst")
	ours.must(t, "--repo="+dst, "init", "--mode=bare-user")
	ours.must(t, "--repo="+dst, "remote", "add", "--gpg-import="+filepath.Join(home, "key1.asc"), "origin", srv.URL)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var firstOK bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _, firstOK = gostreeTool(ctx).run("--repo="+dst, "pull", "--depth=-1", "origin", "main")
	}()
	// Cancel once the large file's partial download has grown past the
	// fast part.
	deadline := time.Now().Add(20 * time.Second)
	for !partialAtLeast(filepath.Join(dst, "tmp"), 256<<10) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if firstOK {
		t.Fatal("the throttled pull finished before it was interrupted")
	}
	have := map[string]bool{}
	filepath.WalkDir(filepath.Join(dst, "objects"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			have[objectKey(filepath.Base(filepath.Dir(p))+"/"+d.Name())] = true
		}
		return nil
	})
	srv.ClearLog(t)
	ours.must(t, "--repo="+dst, "pull", "--depth=-1", "origin", "main")
	bigFile := filepath.Join(src, "objects")
	var bigPath string
	var bigSize int64
	filepath.WalkDir(bigFile, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".filez") {
			if fi, _ := d.Info(); fi != nil && fi.Size() > bigSize {
				bigPath, bigSize = "/"+strings.TrimPrefix(p, src+"/"), fi.Size()
			}
		}
		return nil
	})
	resumed := false
	for _, r := range srv.Requests(t) {
		if strings.HasPrefix(r.Path, "/objects/") && !strings.HasSuffix(r.Path, ".commitmeta") {
			if have[objectKey(strings.TrimPrefix(r.Path, "/objects/"))] {
				t.Errorf("second pull fetched %s again", r.Path)
			}
		}
		if r.Path != bigPath {
			continue
		}
		var from int64
		if _, err := fmt.Sscanf(r.Range, "bytes=%d-", &from); err != nil || r.Status != 206 {
			t.Errorf("big file fetched with Range %q, status %d", r.Range, r.Status)
			continue
		}
		if from < 256<<10 || r.Bytes != bigSize-from {
			t.Errorf("resumed from %d: %d of %d bytes sent", from, r.Bytes, bigSize)
		}
		resumed = true
	}
	if !resumed {
		t.Errorf("%s not fetched by the second pull", bigPath)
	}
	checkPulled(t, ours, []ostreeTool{ref, ours}, dst, head)
}

// partialAtLeast reports whether dir holds a file of at least n bytes.
func partialAtLeast(dir string, n int64) bool {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() && fi.Size() >= n {
			return true
		}
	}
	return false
}

// objectKey is "xx/rest-of-checksum" of an object path, whatever the
// repository mode's file extension.
func objectKey(p string) string {
	k, _, _ := strings.Cut(p, ".")
	return k
}
