package prune_test

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/prune"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
	"github.com/gostree/gostree/internal/traverse"
)

var trees = []traverse.TestTree{
	{"a": "1\n"},
	{"a": "2\n", "d": traverse.TestTree{"x": "x\n"}},
	{"a": "3\n", "d": traverse.TestTree{"x": "x\n"}},
}

func commits(t *testing.T, r *repo.Repo) []object.Checksum {
	t.Helper()
	var out []object.Checksum
	for n := range traverse.TestAllObjects(t, r) {
		if n.Type == object.TypeCommit {
			out = append(out, n.Checksum)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func has(t *testing.T, r *repo.Repo, c object.Checksum) bool {
	t.Helper()
	ok, err := r.HasObject(context.Background(), c, object.TypeCommit)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// orphan stores a content object no commit references.
func orphan(t *testing.T, r *repo.Repo) object.Name {
	t.Helper()
	ctx := context.Background()
	txn, err := r.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := &object.FileHeader{Mode: object.ModeReg | 0o644}
	c, err := txn.WriteFile(ctx, h, 7, strings.NewReader("orphan\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return object.Name{Checksum: c, Type: object.TypeFile}
}

func TestPruneOrphans(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []repo.Mode{repo.ModeBareUser, repo.ModeArchive} {
		t.Run(mode.String(), func(t *testing.T) {
			r := traverse.TestRepo(t, mode)
			cs := traverse.TestChain(t, r, "main", trees...)
			o := orphan(t, r)
			total := len(traverse.TestAllObjects(t, r))

			res, err := prune.Prune(ctx, r, prune.Options{NoPrune: true, Depth: -1})
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != total || res.Pruned != 1 || res.Freed <= 0 {
				t.Errorf("--no-prune: %+v, want 1 of %d objects", res, total)
			}
			if _, err := os.Lstat(traverse.TestPath(r, o)); err != nil {
				t.Errorf("--no-prune deleted the orphan: %v", err)
			}

			// Without --refs-only every stored commit is kept, even
			// unreferenced ones.
			if err := r.SetRef(ctx, "", "main", nil); err != nil {
				t.Fatal(err)
			}
			res, err = prune.Prune(ctx, r, prune.Options{Depth: -1})
			if err != nil {
				t.Fatal(err)
			}
			if res.Pruned != 1 {
				t.Errorf("prune: %+v, want the orphan deleted", res)
			}
			if _, err := os.Lstat(traverse.TestPath(r, o)); !os.IsNotExist(err) {
				t.Errorf("orphan still stored: %v", err)
			}
			for _, c := range cs {
				if !has(t, r, c) {
					t.Errorf("commit %s deleted without --refs-only", c)
				}
			}
		})
	}
}

func TestRefsOnlyDepth(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		depth int
		kept  int
	}{{0, 1}, {1, 2}, {-1, 3}} {
		t.Run(strconv.Itoa(tc.depth), func(t *testing.T) {
			r := traverse.TestRepo(t, repo.ModeArchive)
			cs := traverse.TestChain(t, r, "main", trees...)
			if err := r.MarkPartial(cs[0], false); err != nil {
				t.Fatal(err)
			}
			_, err := prune.Prune(ctx, r, prune.Options{RefsOnly: true, Depth: tc.depth})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(commits(t, r)); got != tc.kept {
				t.Errorf("kept %d commits, want %d", got, tc.kept)
			}
			if tc.depth == 0 {
				if p, _ := r.IsPartial(cs[0]); p {
					t.Error("the deleted commit's commitpartial marker remains")
				}
				if _, err := os.Lstat(traverse.TestPath(r, object.Name{Checksum: cs[0], Type: object.TypeTombstoneCommit})); !os.IsNotExist(err) {
					t.Error("tombstone written without core.tombstone-commits")
				}
			}
			// Everything that remains is consistent.
			for n := range traverse.TestAllObjects(t, r) {
				if n.Type == object.TypeFile {
					if _, rc, _, err := r.LoadFile(ctx, n.Checksum); err != nil {
						t.Errorf("%s: %v", n, err)
					} else {
						rc.Close()
					}
				}
			}
		})
	}
}

func TestRefKinds(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		set  func(r *repo.Repo, c object.Checksum) error
	}{
		{"local", func(r *repo.Repo, c object.Checksum) error { return r.SetRef(ctx, "", "other", &c) }},
		{"deployment", func(r *repo.Repo, c object.Checksum) error { return r.SetRef(ctx, "", "ostree/0/1/0", &c) }},
		{"remote", func(r *repo.Repo, c object.Checksum) error { return r.SetRef(ctx, "origin", "main", &c) }},
		{"mirror", func(r *repo.Repo, c object.Checksum) error {
			return r.SetMirrorRef(ctx, "org.example.Collection", "some-ref", &c)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := traverse.TestRepo(t, repo.ModeArchive)
			cs := traverse.TestChain(t, r, "main", trees...)
			if err := tc.set(r, cs[0]); err != nil {
				t.Fatal(err)
			}
			if _, err := prune.Prune(ctx, r, prune.Options{RefsOnly: true, Depth: 0}); err != nil {
				t.Fatal(err)
			}
			if !has(t, r, cs[0]) || !has(t, r, cs[2]) || has(t, r, cs[1]) {
				t.Errorf("kept %v; want the two referenced commits only", commits(t, r))
			}
			if err := prune.DeleteCommit(ctx, r, cs[0]); err == nil {
				t.Error("deleted a commit a ref points to")
			}
		})
	}
}

func TestTombstones(t *testing.T) {
	ctx := context.Background()
	r := traverse.TestRepo(t, repo.ModeArchive)
	cs := traverse.TestChain(t, r, "main", trees...)
	if err := r.WriteDetachedMetadata(ctx, cs[1], object.Metadata{}); err != nil {
		t.Fatal(err)
	}
	if err := prune.DeleteCommit(ctx, r, cs[1]); err != nil {
		t.Fatal(err)
	}
	if !r.TombstoneCommits() {
		t.Error("--delete-commit did not enable tombstones")
	}
	for _, typ := range []object.Type{object.TypeCommit, object.TypeCommitMeta} {
		if _, err := os.Lstat(traverse.TestPath(r, object.Name{Checksum: cs[1], Type: typ})); !os.IsNotExist(err) {
			t.Errorf("%s of the deleted commit remains", typ)
		}
	}
	if _, err := os.Lstat(traverse.TestPath(r, object.Name{Checksum: cs[1], Type: object.TypeTombstoneCommit})); err != nil {
		t.Errorf("no tombstone: %v", err)
	}
	// Pruning now also tombstones.
	if _, err := prune.Prune(ctx, r, prune.Options{RefsOnly: true, Depth: 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(traverse.TestPath(r, object.Name{Checksum: cs[0], Type: object.TypeTombstoneCommit})); err != nil {
		t.Errorf("prune left no tombstone: %v", err)
	}
}

func TestCommitOnly(t *testing.T) {
	ctx := context.Background()
	r := traverse.TestRepo(t, repo.ModeArchive)
	traverse.TestChain(t, r, "main", trees...)
	before := len(traverse.TestAllObjects(t, r))
	res, err := prune.Prune(ctx, r, prune.Options{RefsOnly: true, Depth: 0, CommitOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 3 || res.Pruned != 2 {
		t.Errorf("result %+v, want 2 of 3 commits", res)
	}
	if after := len(traverse.TestAllObjects(t, r)); after != before-2 {
		t.Errorf("%d objects left of %d, want only 2 commits gone", after, before)
	}
}

func TestSelective(t *testing.T) {
	ctx := context.Background()
	build := func(t *testing.T) (*repo.Repo, []object.Checksum, []object.Checksum) {
		r := traverse.TestRepo(t, repo.ModeArchive)
		var stable, dev []object.Checksum
		var ps, pd object.Checksum
		for i := 0; i < 4; i++ {
			ts := uint64(time.Date(2000+i*10, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
			ps = traverse.TestCommit(t, r, traverse.TestTree{"s": strconv.Itoa(i)}, traverse.TestCommitOptions{Parent: ps, Timestamp: ts, Ref: "stable"})
			pd = traverse.TestCommit(t, r, traverse.TestTree{"d": strconv.Itoa(i)}, traverse.TestCommitOptions{Parent: pd, Timestamp: ts, Ref: "dev"})
			stable, dev = append(stable, ps), append(dev, pd)
		}
		return r, stable, dev
	}
	y2015 := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		opts prune.Options
		kept int
	}{
		{"keep younger than", prune.Options{KeepYoungerThan: &y2015}, 4},
		{"keep younger than, retain stable", prune.Options{KeepYoungerThan: &y2015, RetainBranchDepth: map[string]int{"stable": -1}}, 6},
		{"retain stable alone", prune.Options{Depth: 0, RetainBranchDepth: map[string]int{"stable": 1}}, 3},
		{"only dev", prune.Options{Depth: 0, OnlyBranches: []string{"dev"}}, 5},
		{"only both depth 1", prune.Options{Depth: 1, OnlyBranches: []string{"dev", "stable"}}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _, _ := build(t)
			if _, err := prune.Prune(ctx, r, tc.opts); err != nil {
				t.Fatal(err)
			}
			if got := len(commits(t, r)); got != tc.kept {
				t.Errorf("kept %d commits, want %d", got, tc.kept)
			}
		})
	}
	t.Run("only unknown branch", func(t *testing.T) {
		r, _, _ := build(t)
		_, err := prune.Prune(ctx, r, prune.Options{OnlyBranches: []string{"BACON"}})
		if err == nil || !regexp.MustCompile(`Refspec.*BACON.*not found`).MatchString(err.Error()) {
			t.Errorf("err = %v", err)
		}
	})
}

func b64(c object.Checksum) string {
	return strings.ReplaceAll(base64.RawStdEncoding.EncodeToString(c[:]), "/", "_")
}

func TestStaticDeltasAndCache(t *testing.T) {
	ctx := context.Background()
	r := traverse.TestRepo(t, repo.ModeArchive)
	cs := traverse.TestChain(t, r, "main", trees...)
	gone := object.Sum([]byte("gone"))
	mk := func(name string) string {
		dir := filepath.Join(r.Path(), "deltas", name[:2], name[2:])
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "superblock"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	keep := mk(b64(cs[1]) + "-" + b64(cs[2]))
	drop := mk(b64(cs[2]) + "-" + b64(gone))
	scratch := mk(b64(cs[0]))
	cache := filepath.Join(r.Path(), "tmp", "cache", "summaries")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"gone", "gone.sig"} {
		if err := os.WriteFile(filepath.Join(cache, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := prune.Prune(ctx, r, prune.Options{Depth: -1}); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]bool{keep: true, drop: false, scratch: true} {
		if _, err := os.Stat(dir); (err == nil) != want {
			t.Errorf("delta %s: exists=%v, want %v", dir, err == nil, want)
		}
	}
	if ents, _ := os.ReadDir(cache); len(ents) != 0 {
		t.Errorf("summary cache of an unknown remote kept: %v", ents)
	}
	if err := prune.PruneStaticDeltas(ctx, r, &cs[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(keep); err == nil {
		t.Error("delta to the named commit kept")
	}
}

// TestReferencePrune prunes copies of a reference-written repository
// with both tools and compares the counts and what is left.
func TestReferencePrune(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	dir := t.TempDir()
	base := filepath.Join(dir, "base")
	tree := filepath.Join(dir, "tree")
	run(t, ref, "--repo="+base, "init", "--mode=archive")
	for i := 0; i < 4; i++ {
		if err := os.MkdirAll(filepath.Join(tree, "d"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tree, "d", "f"+strconv.Itoa(i)), []byte(strconv.Itoa(i)), 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, ref, "--repo="+base, "commit", "-b", "main", "--tree=dir="+tree)
	}
	run(t, ref, "--repo="+base, "commit", "-b", "gone", "--tree=dir="+dir+"/base/refs")
	run(t, ref, "--repo="+base, "refs", "--delete", "gone")
	for _, args := range [][]string{
		{"--refs-only", "--depth=0"},
		{"--refs-only", "--depth=1"},
		{"--refs-only"},
		{},
		{"--refs-only", "--depth=0", "--commit-only"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			theirs, ours := filepath.Join(t.TempDir(), "r"), filepath.Join(t.TempDir(), "r")
			run(t, "cp", "-a", base, theirs)
			run(t, "cp", "-a", base, ours)
			want := run(t, ref, append([]string{"--repo=" + theirs, "prune"}, args...)...)
			r, err := repo.Open(ctx, ours)
			if err != nil {
				t.Fatal(err)
			}
			opts := prune.Options{Depth: -1}
			for _, a := range args {
				switch {
				case a == "--refs-only":
					opts.RefsOnly = true
				case a == "--commit-only":
					opts.CommitOnly = true
				case strings.HasPrefix(a, "--depth="):
					opts.Depth, _ = strconv.Atoi(a[len("--depth="):])
				}
			}
			res, err := prune.Prune(ctx, r, opts)
			if err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`objects: (\d+)\n(?:Deleted (\d+) objects|No unreachable)`).FindStringSubmatch(want)
			if m == nil {
				t.Fatalf("unexpected reference output %q", want)
			}
			total, _ := strconv.Atoi(m[1])
			pruned, _ := strconv.Atoi(m[2])
			if res.Total != total || res.Pruned != pruned {
				t.Errorf("ours %+v, reference: %q", res, want)
			}
			if g, w := listing(t, ours), listing(t, theirs); g != w {
				t.Errorf("left different objects:\nreference:\n%s\nours:\n%s", w, g)
			}
		})
	}
}

func listing(t *testing.T, rp string) string {
	var out []string
	filepath.Walk(filepath.Join(rp, "objects"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(rp, p)
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}
