package pull_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/delta"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
	"github.com/gostree/gostree/internal/traverse"
)

// deltaRepo is an archive repository made by the reference ostree with
// two commits on main and the deltas a server publishes: from scratch to
// the first, and from the first to the second, which leaves one large new
// file as a fallback.
type deltaRepo struct {
	r         *repo.Repo
	v1, v2    object.Checksum
	scratch   delta.ID
	upgrade   delta.ID
	fallback  object.Checksum
	deltaSize int64 // superblock and parts of upgrade
}

func refOstree(t *testing.T, repoPath string, args ...string) string {
	t.Helper()
	cmd := exec.Command(testutil.ReferenceOstree(t), append([]string{"--repo=" + repoPath}, args...)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ostree %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(out.String())
}

func noise(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func newDeltaRepo(t *testing.T) *deltaRepo {
	t.Helper()
	tmp := t.TempDir()
	path := filepath.Join(tmp, "repo")
	refOstree(t, path, "init", "--mode=archive")
	tree := filepath.Join(tmp, "tree")
	write := func(name string, data []byte) {
		p := filepath.Join(tree, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lib := noise(200_000, 1)
	write("usr/lib/libx.so", lib)
	write("usr/bin/tool", noise(300_000, 2))
	write("etc/config", []byte("one\n"))
	for i := range 20 {
		write(filepath.Join("usr/share/doc", string(rune('a'+i))), bytes.Repeat([]byte{byte(i)}, 100*i))
	}
	commit := func() object.Checksum {
		c, err := object.ParseChecksum(refOstree(t, path, "commit", "-b", "main", "--tree=dir="+tree, "-s", "x", "--no-bindings"))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	d := &deltaRepo{}
	d.v1 = commit()
	for i := 0; i < len(lib); i += 400 {
		lib[i]++
	}
	write("usr/lib/libx.so", lib)
	write("etc/config", []byte("two\n"))
	big := noise(1_500_000, 3)
	write("usr/share/big.dat", big)
	d.v2 = commit()
	refOstree(t, path, "static-delta", "generate", "--empty", "--to="+d.v1.String())
	refOstree(t, path, "static-delta", "generate", "--from="+d.v1.String(), "--to="+d.v2.String(), "--min-fallback-size=1")
	refOstree(t, path, "summary", "-u")
	r, err := repo.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	d.r = r
	d.scratch = delta.ID{To: d.v1}
	d.upgrade = delta.ID{From: d.v1, To: d.v2}
	raw, err := os.ReadFile(filepath.Join(path, d.upgrade.SuperblockPath()))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := delta.UnmarshalSuperblock(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(sb.Fallbacks) != 1 {
		t.Fatalf("the upgrade delta has %d fallbacks, want 1", len(sb.Fallbacks))
	}
	d.fallback = sb.Fallbacks[0].Checksum
	d.deltaSize = int64(len(raw))
	for _, p := range sb.Parts {
		d.deltaSize += int64(p.Size)
	}
	return d
}

// fileSize is the size of a file of repository r.
func fileSize(t *testing.T, r *repo.Repo, rel string) int64 {
	t.Helper()
	st, err := os.Stat(filepath.Join(r.Path(), rel))
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func testHTTPPullStaticDeltas(t *testing.T, src *deltaRepo) {
	ctx := context.Background()
	url, log := serveRepo(t, src.r, nil)
	for _, mode := range []repo.Mode{repo.ModeBare, repo.ModeBareUser, repo.ModeBareUserOnly} {
		t.Run(mode.String(), func(t *testing.T) {
			dst := addRemote(t, traverse.TestRepo(t, mode), "origin", url)

			// A new ref comes from the scratch delta.
			log.reset()
			res, err := pull.PullRemote(ctx, dst, "origin", fastOpts(pull.Options{Refs: []string{"main"}, Overrides: map[string]object.Checksum{"main": src.v1}}))
			if err != nil {
				t.Fatal(err)
			}
			paths, _ := log.snapshot()
			for _, p := range paths {
				if strings.HasPrefix(p, "/objects/") {
					t.Errorf("scratch delta pull fetched %s", p)
				}
			}
			if res.Deltas.Superblocks != 1 || res.Deltas.PartsFetched == 0 {
				t.Errorf("delta stats %+v", res.Deltas)
			}

			// An upgrade fetches the delta and its fallback, nothing else.
			log.reset()
			res, err = pull.PullRemote(ctx, dst, "origin", fastOpts(pull.Options{Refs: []string{"main"}}))
			if err != nil {
				t.Fatal(err)
			}
			if got := remoteRef(t, dst, "origin:main"); got != src.v2 {
				t.Fatalf("origin:main = %s, want %s", got, src.v2)
			}
			paths, sizes := log.snapshot()
			fallbackPath := "/" + filepath.ToSlash(filepath.Join("objects", object.LoosePath(src.fallback, object.TypeFile, true)))
			var deltaBytes, objectBytes, other int64
			for _, p := range paths {
				switch {
				case strings.HasPrefix(p, "/deltas/"):
					deltaBytes += sizes[p]
				case p == fallbackPath:
					objectBytes += sizes[p]
				case strings.HasPrefix(p, "/objects/"):
					t.Errorf("upgrade fetched %s", p)
				default:
					other += sizes[p]
				}
				sizes[p] = 0 // count each path once
			}
			if deltaBytes != src.deltaSize {
				t.Errorf("fetched %d bytes of delta, it has %d", deltaBytes, src.deltaSize)
			}
			if want := fileSize(t, src.r, fallbackPath[1:]); objectBytes != want {
				t.Errorf("fetched %d bytes of fallback, it has %d", objectBytes, want)
			}
			if limit := src.deltaSize + objectBytes + other; res.BytesTransferred > limit {
				t.Errorf("transferred %d bytes, more than the %d the files hold", res.BytesTransferred, limit)
			}
			if res.Deltas.FallbacksTotal != 1 || res.Deltas.PartsTotal == 0 || res.Deltas.Failed != 0 {
				t.Errorf("delta stats %+v", res.Deltas)
			}
			if c, p := countCommits(t, dst); c != 2 || p != 0 {
				t.Errorf("%d commits, %d partial", c, p)
			}
			verifyAll(t, dst)
			referenceFsck(t, dst)
		})
	}
}

func testHTTPPullDeltaDryRun(t *testing.T, src *deltaRepo) {
	ctx := context.Background()
	url, log := serveRepo(t, src.r, nil)
	dst := addRemote(t, traverse.TestRepo(t, repo.ModeBareUser), "origin", url)
	if _, err := pull.PullRemote(ctx, dst, "origin", fastOpts(pull.Options{Refs: []string{"main"}, Overrides: map[string]object.Checksum{"main": src.v1}})); err != nil {
		t.Fatal(err)
	}
	before := traverse.TestAllObjects(t, dst)
	log.reset()
	o := fastOpts(pull.Options{Refs: []string{"main"}})
	o.RequireStaticDeltas, o.DryRun = true, true
	res, err := pull.PullRemote(ctx, dst, "origin", o)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Deltas
	if d.PartsTotal == 0 || d.PartsFetched != 0 || d.FallbacksTotal != 1 || d.PartSize == 0 || d.PartUSize == 0 {
		t.Errorf("dry run stats %+v", d)
	}
	paths, _ := log.snapshot()
	for _, p := range paths {
		if strings.HasPrefix(p, "/objects/") || (strings.HasPrefix(p, "/deltas/") && !strings.HasSuffix(p, "/superblock")) {
			t.Errorf("dry run fetched %s", p)
		}
	}
	if after := traverse.TestAllObjects(t, dst); len(after) != len(before) {
		t.Errorf("dry run stored %d objects", len(after)-len(before))
	}
	if got := remoteRef(t, dst, "origin:main"); got != src.v1 {
		t.Errorf("dry run moved origin:main to %s", got)
	}
}

// corruptParts serves delta parts with one byte flipped.
func corruptParts(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/deltas/") || strings.HasSuffix(r.URL.Path, "/superblock") {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if len(body) > 0 {
			body[len(body)/2] ^= 0x40
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

func testHTTPPullBrokenDelta(t *testing.T, src *deltaRepo) {
	ctx := context.Background()
	url, _ := serveRepo(t, src.r, corruptParts)
	for _, require := range []bool{false, true} {
		t.Run(map[bool]string{false: "fallback", true: "required"}[require], func(t *testing.T) {
			dst := addRemote(t, traverse.TestRepo(t, repo.ModeBareUser), "origin", url)
			o := fastOpts(pull.Options{Refs: []string{"main"}})
			o.RequireStaticDeltas = require
			o.Overrides = map[string]object.Checksum{"main": src.v1}
			res, err := pull.PullRemote(ctx, dst, "origin", o)
			if require {
				if err == nil || !strings.Contains(err.Error(), "Checksum mismatch in static delta part") {
					t.Fatalf("pull with a damaged required delta: %v", err)
				}
				if ok, _ := dst.HasObject(ctx, src.v1, object.TypeCommit); ok {
					t.Error("the commit of the damaged delta was stored")
				}
				if c, err := dst.ResolveRev(ctx, "origin:main", true); err != nil || !c.IsZero() {
					t.Errorf("origin:main = %s, %v", c, err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if res.Deltas.Failed != 1 || res.ContentFetched == 0 {
					t.Errorf("the damaged delta did not fall back to objects: %+v", res)
				}
				if got := remoteRef(t, dst, "origin:main"); got != src.v1 {
					t.Errorf("origin:main = %s, want %s", got, src.v1)
				}
			}
			verifyAll(t, dst)
			referenceFsck(t, dst)
		})
	}
}

func testHTTPPullWithoutDeltas(t *testing.T, src *deltaRepo) {
	ctx := context.Background()
	url, log := serveRepo(t, src.r, nil)
	cases := []struct {
		name    string
		mode    repo.Mode
		disable bool
	}{
		{"archive", repo.ModeArchive, false},
		{"disabled", repo.ModeBareUser, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := addRemote(t, traverse.TestRepo(t, tc.mode), "origin", url)
			log.reset()
			o := fastOpts(pull.Options{Refs: []string{"main"}})
			o.DisableStaticDeltas = tc.disable
			if _, err := pull.PullRemote(ctx, dst, "origin", o); err != nil {
				t.Fatal(err)
			}
			paths, _ := log.snapshot()
			for _, p := range paths {
				if strings.HasPrefix(p, "/deltas/") || strings.HasPrefix(p, "/delta-indexes/") {
					t.Errorf("fetched %s", p)
				}
			}
			verifyAll(t, dst)
		})
	}
	dst := addRemote(t, traverse.TestRepo(t, repo.ModeArchive), "origin", url)
	o := fastOpts(pull.Options{Refs: []string{"main"}})
	o.RequireStaticDeltas = true
	if _, err := pull.PullRemote(ctx, dst, "origin", o); err == nil || !strings.Contains(err.Error(), "Can't use static deltas in an archive repo") {
		t.Errorf("archive pull requiring deltas: %v", err)
	}
}

func testLocalPullRequiredDeltas(t *testing.T, src *deltaRepo) {
	ctx := context.Background()
	// A local pull of a delta with fallbacks fetches them from the
	// source like any object.
	dst := traverse.TestRepo(t, repo.ModeBareUser)
	opts, err := pull.LocalDeltaOptions(src.r)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []object.Checksum{src.v1, src.v2} {
		st, err := pull.Pull(ctx, dst, pull.NewLocalSource(src.r), pull.Options{Refs: []string{c.String()}, Deltas: opts})
		if err != nil {
			t.Fatal(err)
		}
		if st.Deltas.Superblocks != 1 {
			t.Errorf("pull of %s used %d deltas", c, st.Deltas.Superblocks)
		}
	}
	verifyAll(t, dst)
	referenceFsck(t, dst)
	// A commit no delta leads to is an error when deltas are required.
	other := traverse.TestRepo(t, repo.ModeBareUser)
	opts.Summary = map[string][]byte{}
	opts.Indexed = false
	if _, err := pull.Pull(ctx, other, pull.NewLocalSource(src.r), pull.Options{Refs: []string{"main"}, Deltas: opts}); err == nil {
		t.Error("required deltas: pull without a usable delta succeeded")
	}
}

// TestStaticDeltaPulls pulls through deltas the reference made, over
// HTTP and locally; the source repository is made once.
func TestStaticDeltaPulls(t *testing.T) {
	src := newDeltaRepo(t)
	t.Run("http", func(t *testing.T) { testHTTPPullStaticDeltas(t, src) })
	t.Run("dry-run", func(t *testing.T) { testHTTPPullDeltaDryRun(t, src) })
	t.Run("broken", func(t *testing.T) { testHTTPPullBrokenDelta(t, src) })
	t.Run("without", func(t *testing.T) { testHTTPPullWithoutDeltas(t, src) })
	t.Run("local", func(t *testing.T) { testLocalPullRequiredDeltas(t, src) })
}
