package diff

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gostree/gostree/internal/object"

	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

type fileSpec struct {
	data   string
	mode   os.FileMode
	target string
	dir    bool
}

func writeTree(t *testing.T, dir string, tree map[string]fileSpec) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for p, f := range tree {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case f.dir:
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
		case f.target != "":
			if err := os.Symlink(f.target, full); err != nil {
				t.Fatal(err)
			}
			continue
		default:
			if err := os.WriteFile(full, []byte(f.data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if f.mode != 0 {
			if err := os.Chmod(full, f.mode); err != nil {
				t.Fatal(err)
			}
		}
	}
}

type summary struct{ M, D, A []string }

func summarize(a, b Node, r *Result) summary {
	var s summary
	for _, m := range r.Modified {
		s.M = append(s.M, m.Src.Path(a))
	}
	for _, n := range r.Removed {
		s.D = append(s.D, n.Path(a))
	}
	for _, n := range r.Added {
		s.A = append(s.A, n.Path(b))
	}
	sort.Strings(s.M)
	sort.Strings(s.D)
	sort.Strings(s.A)
	return s
}

var baseTree = map[string]fileSpec{
	"same":      {data: "same"},
	"changed":   {data: "old"},
	"chmod":     {data: "m"},
	"gone":      {data: "g"},
	"link":      {target: "same"},
	"retarget":  {target: "a"},
	"typeflip":  {data: "file"},
	"d/x":       {data: "x"},
	"d/sub/y":   {data: "y"},
	"olddir/z":  {data: "z"},
	"emptydir":  {dir: true},
	"modedir/w": {data: "w"},
}

var newTree = map[string]fileSpec{
	"same":           {data: "same"},
	"changed":        {data: "new"},
	"chmod":          {data: "m", mode: 0o600},
	"link":           {target: "same"},
	"retarget":       {target: "b"},
	"typeflip/":      {dir: true},
	"typeflip/inner": {data: "i"},
	"d/x":            {data: "x"},
	"d/sub/y":        {data: "y"},
	"d/sub/new":      {data: "n"},
	"newdir/q":       {data: "q"},
	"newdir/r/s":     {data: "s"},
	"emptydir":       {dir: true},
	"modedir/":       {dir: true, mode: 0o700},
	"modedir/w":      {data: "w"},
}

var wantSummary = summary{
	M: []string{"changed", "chmod", "modedir", "retarget", "typeflip"},
	D: []string{"gone", "olddir"},
	A: []string{"d/sub/new", "newdir", "newdir/q", "newdir/r", "newdir/r/s"},
}

func TestDirsOnDisk(t *testing.T) {
	base := t.TempDir()
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	writeTree(t, a, baseTree)
	writeTree(t, b, newTree)
	na, _ := Dir(a)
	nb, _ := Dir(b)
	res, err := Dirs(context.Background(), na, nb, Options{OwnerUID: -1, OwnerGID: -1})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantSummary, summarize(na, nb, res)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// Identical trees differ only when b's owner is overridden.
	res, err = Dirs(context.Background(), na, na, Options{OwnerUID: -1, OwnerGID: -1})
	if err != nil || len(res.Modified)+len(res.Added)+len(res.Removed) != 0 {
		t.Fatalf("self diff: %+v, %v", res, err)
	}
	res, err = Dirs(context.Background(), na, na, Options{OwnerUID: os.Getuid() + 1, OwnerGID: -1})
	if err != nil {
		t.Fatal(err)
	}
	entries := -1 // every path below a, not a itself
	filepath.Walk(a, func(string, os.FileInfo, error) error { entries++; return nil })
	if got := summarize(na, na, res); len(got.M) != entries || len(got.A)+len(got.D) != 0 {
		t.Errorf("owner override: %+v, want all %d entries modified", got, entries)
	}
}

// TestDirsCommits compares commits (made by the reference) with each
// other and with directories on disk.
func TestDirsCommits(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	base := t.TempDir()
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	writeTree(t, a, baseTree)
	writeTree(t, b, newTree)
	rp := filepath.Join(base, "repo")
	for _, args := range [][]string{
		{"init", "--repo=" + rp, "--mode=archive"},
		{"commit", "--repo=" + rp, "-b", "a", "--tree=dir=" + a},
		{"commit", "--repo=" + rp, "-b", "b", "--tree=dir=" + b},
	} {
		if out, err := exec.Command(ref, args...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	ctx := context.Background()
	r, err := repo.Open(ctx, rp)
	if err != nil {
		t.Fatal(err)
	}
	commit := func(name string) Node {
		c, err := r.ResolveRev(ctx, name, false)
		if err != nil {
			t.Fatal(err)
		}
		root, err := r.CommitRoot(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return Commit(r, root)
	}
	dir := func(p string) Node {
		n, err := Dir(p)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	abs := func(s summary) summary {
		var out summary
		for i, l := range [][]string{s.M, s.D, s.A} {
			var p []string
			for _, x := range l {
				p = append(p, "/"+x)
			}
			*[]*[]string{&out.M, &out.D, &out.A}[i] = p
		}
		return out
	}
	opts := Options{OwnerUID: -1, OwnerGID: -1}
	for _, tc := range []struct {
		name string
		a, b Node
		want summary
	}{
		{"commit vs commit", commit("a"), commit("b"), abs(wantSummary)},
		{"commit vs itself", commit("a"), commit("a"), summary{}},
		{"commit vs its tree", commit("a"), dir(a), summary{}},
		// Removed paths print as commit paths, added ones relative to b.
		{"commit vs other tree", commit("a"), dir(b), summary{M: abs(wantSummary).M, D: abs(wantSummary).D, A: wantSummary.A}},
		{"tree vs commit", dir(a), commit("b"), summary{M: wantSummary.M, D: wantSummary.D, A: abs(wantSummary).A}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Dirs(ctx, tc.a, tc.b, opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, summarize(tc.a, tc.b, res), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	s, err := CommitStats(ctx, r, mustRev(t, r, "a"), mustRev(t, r, "b"))
	if err != nil {
		t.Fatal(err)
	}
	if s.ACount == 0 || s.BCount == 0 || s.CommonCount == 0 || s.CommonCount >= s.ACount || s.CommonSize == 0 {
		t.Errorf("stats %+v", s)
	}
}

func mustRev(t *testing.T, r *repo.Repo, rev string) object.Checksum {
	t.Helper()
	c, err := r.ResolveRev(context.Background(), rev, false)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
