package traverse_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
	"github.com/gostree/gostree/internal/traverse"
)

var (
	tree1 = traverse.TestTree{"a": "alpha\n", "l": traverse.TestSymlink("a"), "d": traverse.TestTree{"x": traverse.TestExec("#!/bin/sh\n")}}
	tree2 = traverse.TestTree{"a": "alpha\n", "b": "beta\n", "d": traverse.TestTree{"x": traverse.TestExec("#!/bin/sh\n"), "e": traverse.TestTree{}}}
	tree3 = traverse.TestTree{"c": "gamma\n"}
)

func commitName(c object.Checksum) object.Name {
	return object.Name{Checksum: c, Type: object.TypeCommit}
}

func countCommits(s traverse.Set) int {
	n := 0
	for k := range s {
		if k.Type == object.TypeCommit {
			n++
		}
	}
	return n
}

func TestDepth(t *testing.T) {
	ctx := context.Background()
	r := traverse.TestRepo(t, repo.ModeArchive)
	cs := traverse.TestChain(t, r, "main", tree1, tree2, tree3)
	head := cs[2]
	all := traverse.TestAllObjects(t, r)
	for _, tc := range []struct {
		name    string
		depth   int
		commits int
	}{
		{"head only", 0, 1},
		{"one parent", 1, 2},
		{"two parents", 2, 3},
		{"beyond history", 10, 3},
		{"unlimited", -1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := traverse.Commit(ctx, r, head, tc.depth, traverse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := countCommits(set); got != tc.commits {
				t.Errorf("commits = %d, want %d", got, tc.commits)
			}
			for n := range set {
				if !all[n] {
					t.Errorf("reachable %s is not stored", n)
				}
			}
			if tc.depth < 0 && len(set) != len(all) {
				t.Errorf("unlimited walk reached %d objects, repo has %d", len(set), len(all))
			}
		})
	}
}

func TestHeadOnlyContents(t *testing.T) {
	ctx := context.Background()
	r := traverse.TestRepo(t, repo.ModeBareUser)
	cs := traverse.TestChain(t, r, "main", tree1, tree3)
	set, err := traverse.Commit(ctx, r, cs[1], 0, traverse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// commit, root dirtree, root dirmeta, one file.
	if len(set) != 4 {
		t.Errorf("reached %d objects, want 4: %v", len(set), set)
	}
	if set.Has(traverse.TestFileName(t, r, cs[0], "a")) {
		t.Error("walk reached a file of the parent commit")
	}
}

func TestMissingParentEndsHistory(t *testing.T) {
	ctx := context.Background()
	r := traverse.TestRepo(t, repo.ModeArchive)
	cs := traverse.TestChain(t, r, "main", tree1, tree2)
	traverse.TestRemove(t, r, commitName(cs[0]))
	set, err := traverse.Commit(ctx, r, cs[1], -1, traverse.Options{})
	if err != nil {
		t.Fatalf("walk with a missing parent: %v", err)
	}
	if countCommits(set) != 1 {
		t.Errorf("commits = %d, want 1", countCommits(set))
	}
	// A missing root commit is not an error either: there is nothing.
	set, err = traverse.Commit(ctx, r, cs[0], 0, traverse.Options{})
	if err != nil || len(set) != 0 {
		t.Errorf("walk from a missing commit = %v, %v; want empty set", set, err)
	}
}

func TestMissingDirTree(t *testing.T) {
	ctx := context.Background()
	r := traverse.TestRepo(t, repo.ModeArchive)
	cs := traverse.TestChain(t, r, "main", tree1)
	sub, meta := traverse.TestDirName(t, r, cs[0], "d")
	traverse.TestRemove(t, r, sub)

	_, err := traverse.Commit(ctx, r, cs[0], 0, traverse.Options{})
	var me *traverse.MissingError
	if !errors.As(err, &me) || me.Name != sub || !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("complete commit with a missing dirtree: err = %v, want MissingError for %s", err, sub)
	}
	if !strings.Contains(err.Error(), sub.String()) {
		t.Errorf("error %q does not name %s", err, sub)
	}

	if err := r.MarkPartial(cs[0], false); err != nil {
		t.Fatal(err)
	}
	set, err := traverse.Commit(ctx, r, cs[0], 0, traverse.Options{})
	if err != nil {
		t.Fatalf("partial commit with a missing dirtree: %v", err)
	}
	if !set.Has(sub) || !set.Has(meta) {
		t.Error("the missing dirtree and its dirmeta should still be recorded")
	}
}

func TestPartialWithoutRoot(t *testing.T) {
	ctx := context.Background()
	r := traverse.TestRepo(t, repo.ModeArchive)
	cs := traverse.TestChain(t, r, "main", tree3)
	cm, err := r.LoadCommit(ctx, cs[0])
	if err != nil {
		t.Fatal(err)
	}
	traverse.TestRemove(t, r, object.Name{Checksum: cm.RootTree, Type: object.TypeDirTree})
	if err := r.MarkPartial(cs[0], false); err != nil {
		t.Fatal(err)
	}
	set, err := traverse.Commit(ctx, r, cs[0], 0, traverse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(set) != 1 {
		t.Errorf("partial commit without its root reached %v, want just the commit", set)
	}
}

func TestCommitOnly(t *testing.T) {
	ctx := context.Background()
	r := traverse.TestRepo(t, repo.ModeArchive)
	cs := traverse.TestChain(t, r, "main", tree1, tree2, tree3)
	set, err := traverse.Commit(ctx, r, cs[2], -1, traverse.Options{CommitOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(set) != 3 || countCommits(set) != 3 {
		t.Errorf("commit-only walk = %v, want the 3 commits", set)
	}
}

func TestParents(t *testing.T) {
	ctx := context.Background()
	r := traverse.TestRepo(t, repo.ModeArchive)
	cs := traverse.TestChain(t, r, "main", tree1, tree2)
	w := traverse.New(r, traverse.Options{Parents: true})
	if err := w.Walk(ctx, []traverse.Root{{Commit: cs[0]}, {Commit: cs[1]}}); err != nil {
		t.Fatal(err)
	}
	shared := traverse.TestFileName(t, r, cs[0], "a")
	only := traverse.TestFileName(t, r, cs[1], "b")
	deep, _ := traverse.TestDirName(t, r, cs[0], "d")
	for _, tc := range []struct {
		name string
		n    object.Name
		want []object.Checksum
	}{
		{"shared file", shared, cs},
		{"file of one commit", only, cs[1:]},
		{"dirtree of one commit", deep, cs[:1]},
		{"commit itself", commitName(cs[1]), cs[1:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := w.Commits(tc.n)
			want := append([]object.Checksum(nil), tc.want...)
			sort.Slice(want, func(i, j int) bool { return want[i].String() < want[j].String() })
			if len(got) != len(want) {
				t.Fatalf("Commits(%s) = %v, want %v", tc.n, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("Commits(%s) = %v, want %v", tc.n, got, want)
				}
			}
		})
	}
}

func TestUnparseableDirTree(t *testing.T) {
	ctx := context.Background()
	r := traverse.TestRepo(t, repo.ModeArchive)
	cs := traverse.TestChain(t, r, "main", tree1)
	sub, _ := traverse.TestDirName(t, r, cs[0], "d")
	traverse.TestOverwrite(t, r, sub, []byte("garbage"))
	if _, err := traverse.Commit(ctx, r, cs[0], 0, traverse.Options{}); !errors.Is(err, errdefs.ErrCorrupt) {
		t.Errorf("strict walk over a corrupt dirtree: err = %v, want ErrCorrupt", err)
	}
	set, err := traverse.Commit(ctx, r, cs[0], 0, traverse.Options{Tolerant: true})
	if err != nil {
		t.Fatalf("tolerant walk: %v", err)
	}
	if !set.Has(sub) {
		t.Error("tolerant walk should record the corrupt dirtree")
	}
}

func TestDeeperRootWins(t *testing.T) {
	// A commit first reached with little remaining depth and later with
	// more must have its older history walked too.
	ctx := context.Background()
	r := traverse.TestRepo(t, repo.ModeArchive)
	cs := traverse.TestChain(t, r, "main", tree1, tree2, tree3)
	w := traverse.New(r, traverse.Options{CommitOnly: true, Concurrency: 1})
	if err := w.Commit(ctx, cs[1], 0); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx, cs[2], 2); err != nil {
		t.Fatal(err)
	}
	if got := countCommits(w.Reachable()); got != 3 {
		t.Errorf("commits = %d, want 3", got)
	}
}

// TestReferenceRepo walks repositories written by the reference ostree
// and checks that a full walk reaches exactly the objects it stored.
func TestReferenceRepo(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	for _, mode := range []string{"bare-user", "archive"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			tree := filepath.Join(dir, "tree")
			must(t, os.MkdirAll(filepath.Join(tree, "d", "e"), 0o755))
			must(t, os.WriteFile(filepath.Join(tree, "a"), []byte("a\n"), 0o644))
			must(t, os.WriteFile(filepath.Join(tree, "d", "e", "f"), []byte("f\n"), 0o600))
			must(t, os.Symlink("a", filepath.Join(tree, "l")))
			rp := filepath.Join(dir, "repo")
			run(t, ref, "--repo="+rp, "init", "--mode="+mode)
			run(t, ref, "--repo="+rp, "commit", "-b", "main", "--tree=dir="+tree)
			must(t, os.WriteFile(filepath.Join(tree, "g"), []byte("g\n"), 0o644))
			run(t, ref, "--repo="+rp, "commit", "-b", "main", "--tree=dir="+tree)
			r, err := repo.Open(ctx, rp)
			if err != nil {
				t.Fatal(err)
			}
			head, err := r.ResolveRev(ctx, "main", false)
			if err != nil {
				t.Fatal(err)
			}
			set, err := traverse.Commit(ctx, r, head, -1, traverse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			all := traverse.TestAllObjects(t, r)
			if len(set) != len(all) {
				t.Errorf("walk reached %d objects, repo stores %d", len(set), len(all))
			}
			for n := range all {
				if !set.Has(n) {
					t.Errorf("stored %s not reached", n)
				}
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}
