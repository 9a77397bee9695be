package summary

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

// TestInteropRegenerateMatchesReference has the reference regenerate the
// summary, then rebuilds it with the same last-modified time and expects
// the same bytes.
func TestInteropRegenerateMatchesReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	cases := []struct {
		name  string
		init  []string
		setup func(t *testing.T, dir string)
		add   []string
	}{
		{name: "plain", init: []string{"--mode=archive"}},
		{name: "metadata", init: []string{"--mode=bare-user"}, add: []string{"-m", "key='value'", "--add-metadata=key2=true", "-m", "some-int=@t 123", "-m", "map=@a{sv} {}", "-m", "key='again'"}},
		{name: "collection", init: []string{"--collection-id=org.example.Coll"}, setup: func(t *testing.T, dir string) {
			run(t, ref, "--repo="+dir, "refs", "--collections", "--create=org.example.Other:mirror-1", "b0")
		}},
		{name: "deltas", init: []string{"--mode=archive"}, setup: func(t *testing.T, dir string) {
			tree := filepath.Join(t.TempDir(), "t2")
			os.MkdirAll(tree, 0o755)
			os.WriteFile(filepath.Join(tree, "g"), []byte("more"), 0o644)
			run(t, ref, "--repo="+dir, "commit", "-b", "b1", "-s", "again", tree)
			run(t, ref, "--repo="+dir, "static-delta", "generate", "b1")
			run(t, ref, "--repo="+dir, "static-delta", "generate", "--empty", "--to=b0")
			run(t, ref, "--repo="+dir, "static-delta", "generate", "--empty", "--to=b1")
		}},
		{name: "remote collection", init: []string{"--collection-id=org.example.Coll"}, setup: func(t *testing.T, dir string) {
			run(t, ref, "--repo="+dir, "remote", "add", "--no-gpg-verify", "--collection-id=org.example.Remote", "rem", "http://x/")
			run(t, ref, "--repo="+dir, "remote", "add", "--no-gpg-verify", "plain", "http://y/")
			run(t, ref, "--repo="+dir, "refs", "b0", "--create=rem:r/1")
			run(t, ref, "--repo="+dir, "refs", "b1", "--create=plain:p")
			run(t, ref, "--repo="+dir, "refs", "--collections", "--create=org.example.Coll:own-mirror", "b1")
		}},
		{name: "many", setup: func(t *testing.T, dir string) {
			for _, n := range []string{"ya", "b/c", "z", "exampleos/x86_64/stable", "q0", "Zz", "b/d/e"} {
				run(t, ref, "--repo="+dir, "refs", "b0", "--create="+n)
			}
			run(t, ref, "--repo="+dir, "config", "set", "core.tombstone-commits", "true")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "repo")
			tree := filepath.Join(t.TempDir(), "tree")
			os.MkdirAll(tree, 0o755)
			os.WriteFile(filepath.Join(tree, "f"), []byte("x"), 0o644)
			run(t, ref, append([]string{"init", "--repo=" + dir}, tc.init...)...)
			for _, b := range []string{"b0", "b1"} {
				run(t, ref, "--repo="+dir, "commit", "-b", b, "-s", "s", "--add-metadata-string=version=1."+b, tree)
			}
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			run(t, ref, append([]string{"--repo=" + dir, "summary", "-u"}, tc.add...)...)
			want, err := os.ReadFile(filepath.Join(dir, "summary"))
			if err != nil {
				t.Fatal(err)
			}
			s, err := Unmarshal(want)
			if err != nil {
				t.Fatal(err)
			}
			lm, _ := s.LastModified()
			r, err := repo.Open(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			var add []string
			for i := 0; i < len(tc.add); i++ {
				a := tc.add[i]
				if a == "-m" {
					i++
					add = append(add, tc.add[i])
				} else {
					add = append(add, a[len("--add-metadata="):])
				}
			}
			md := parseMD(t, add)
			got, err := Build(context.Background(), r, Options{Additional: md, Now: time.Unix(int64(lm), 0)})
			if err != nil {
				t.Fatal(err)
			}
			b, err := Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("summary differs from the reference's:\n got %x\nwant %x", b, want)
			}
			// The reference reads ours.
			ours := filepath.Join(t.TempDir(), "repo")
			run(t, "cp", "-a", dir, ours)
			if err := os.WriteFile(filepath.Join(ours, "summary"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{"--view", "--raw"} {
				w, err1 := exec.Command(ref, "--repo="+dir, "summary", v).Output()
				g, err2 := exec.Command(ref, "--repo="+ours, "summary", v).Output()
				if err1 != nil || err2 != nil || !bytes.Equal(w, g) {
					t.Errorf("reference summary %s of our file differs: %v %v\n%s\n%s", v, err1, err2, g, w)
				}
			}
			// Our delta indexes are the reference's.
			if err := os.RemoveAll(filepath.Join(ours, "delta-indexes")); err != nil {
				t.Fatal(err)
			}
			or, err := repo.Open(context.Background(), ours)
			if err != nil {
				t.Fatal(err)
			}
			if err := ReindexDeltas(context.Background(), or); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("diff", "-r", filepath.Join(dir, "delta-indexes"), filepath.Join(ours, "delta-indexes")).CombinedOutput(); err != nil && !(os.IsNotExist(statErr(dir)) && os.IsNotExist(statErr(ours))) {
				t.Errorf("delta indexes differ: %v\n%s", err, out)
			}
			// And the round trip of the reference's file.
			rt, err := Marshal(s)
			if err != nil || !bytes.Equal(rt, want) {
				t.Errorf("round trip differs: %v", err)
			}
		})
	}
}

func run(t *testing.T, bin string, args ...string) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", bin, args, err, out)
	}
}

// TestInteropMetadataCommit compares the ostree-metadata commit we write
// with the reference's: same metadata in the same order, same tree.
func TestInteropMetadataCommit(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	add := []string{"key='value'", "key2=true", "some-int=@t 123", "map=@a{sv} {}"}
	var args []string
	for _, a := range add {
		args = append(args, "--add-metadata="+a)
	}
	dir := filepath.Join(t.TempDir(), "repo")
	run(t, ref, "init", "--repo="+dir, "--collection-id=org.example.Coll")
	run(t, ref, append([]string{"--repo=" + dir, "summary", "-u"}, args...)...)
	r, err := repo.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	refCommit, _, err := r.ResolveRevExt(ctx, MetadataRef, false, false)
	if err != nil {
		t.Fatal(err)
	}
	want, err := r.LoadCommit(ctx, refCommit)
	if err != nil {
		t.Fatal(err)
	}
	c, err := WriteMetadataCommit(ctx, r, parseMD(t, add), want.Timestamp)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.LoadCommit(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if got.Parent != refCommit {
		t.Errorf("parent = %s, want %s", got.Parent, refCommit)
	}
	wb, _ := object.MarshalMetadata(want.Metadata)
	gb, _ := object.MarshalMetadata(got.Metadata)
	if !bytes.Equal(wb, gb) {
		t.Errorf("metadata differs:\n got %x\nwant %x", gb, wb)
	}
	if got.RootTree != want.RootTree || got.RootMeta != want.RootMeta || got.Subject != "" || got.Body != "" {
		t.Errorf("commit = %+v, want the tree of %+v", got, want)
	}
	// The reference accepts the result.
	run(t, ref, "--repo="+dir, "fsck")
	out, err := exec.Command(ref, "--repo="+dir, "log", MetadataRef).Output()
	if err != nil || bytes.Count(out, []byte("commit ")) != 2 {
		t.Errorf("reference log = %v\n%s", err, out)
	}
}

func statErr(repoDir string) error {
	_, err := os.Stat(filepath.Join(repoDir, "delta-indexes"))
	return err
}
