package commit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// newRepo makes a repository of the given mode in a temp dir.
func newRepo(t *testing.T, mode repo.Mode) *repo.Repo {
	t.Helper()
	r, err := repo.Init(context.Background(), filepath.Join(t.TempDir(), "repo"), repo.InitOptions{Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// writeFiles creates files under dir: "name" → content; names ending in
// "/" are directories; content "->target" makes a symlink.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// listTree returns "path type" lines of a committed tree, with file
// content for regular files.
func listTree(t *testing.T, r *repo.Repo, c object.Checksum) []string {
	t.Helper()
	ctx := context.Background()
	cm, err := r.LoadCommit(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(prefix string, tree object.Checksum)
	walk = func(prefix string, tree object.Checksum) {
		dt, err := r.LoadDirTree(ctx, tree)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range dt.Files {
			h, rc, _, err := r.LoadFile(ctx, f.Checksum)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			buf := make([]byte, 4096)
			for {
				n, err := rc.Read(buf)
				b.Write(buf[:n])
				if err != nil {
					break
				}
			}
			rc.Close()
			if h.IsSymlink() {
				out = append(out, prefix+f.Name+" -> "+h.Target)
			} else {
				out = append(out, prefix+f.Name+" = "+b.String())
			}
		}
		for _, d := range dt.Dirs {
			out = append(out, prefix+d.Name+"/")
			walk(prefix+d.Name+"/", d.Tree)
		}
	}
	walk("/", cm.RootTree)
	return out
}

func commitOpts(trees ...TreeSource) Options {
	ts := uint64(1700000000)
	return Options{Branch: "test", Trees: trees, Timestamp: &ts, Getenv: func(string) string { return "" }}
}

func TestLayering(t *testing.T) {
	ctx := context.Background()
	a, b := t.TempDir(), t.TempDir()
	writeFiles(t, a, map[string]string{
		"etc/sudoers": "one", "etc/mtab": "mtab", "usr/bin/exe": "exe", "keep": "a",
		"link": "->keep", "emptydir/": "",
	})
	writeFiles(t, b, map[string]string{
		"etc/sudoers": "two", "usr/lib/x": "x", "link": "->other", "new": "b",
	})
	r := newRepo(t, repo.ModeArchive)
	res, err := Run(ctx, r, commitOpts(TreeSource{"dir", a}, TreeSource{"dir", b}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/keep = a", "/link -> other", "/new = b",
		"/emptydir/", "/etc/", "/etc/mtab = mtab", "/etc/sudoers = two",
		"/usr/", "/usr/bin/", "/usr/bin/exe = exe", "/usr/lib/", "/usr/lib/x = x",
	}
	if diff := cmp.Diff(want, listTree(t, r, res.Commit)); diff != "" {
		t.Errorf("layered tree (-want +got):\n%s", diff)
	}

	// The same layering from commits, and mixed, gives the same tree.
	ca, err := Run(ctx, r, Options{Branch: "a", Trees: []TreeSource{{"dir", a}}, Timestamp: tsPtr(1)})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := Run(ctx, r, Options{Branch: "b", Trees: []TreeSource{{"dir", b}}, Timestamp: tsPtr(1)})
	if err != nil {
		t.Fatal(err)
	}
	for _, trees := range [][]TreeSource{
		{{"ref", ca.Commit.String()}, {"ref", cb.Commit.String()}},
		{{"ref", "a"}, {"dir", b}},
		{{"dir", a}, {"ref", "b"}},
	} {
		got, err := Run(ctx, r, commitOpts(trees...))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, listTree(t, r, got.Commit)); diff != "" {
			t.Errorf("%v (-want +got):\n%s", trees, diff)
		}
	}
}

func tsPtr(v uint64) *uint64 { return &v }

func TestLayeringConflicts(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		a, b    map[string]string
		wantErr string
	}{
		{"dir over file", map[string]string{"x": "file"}, map[string]string{"x/y": "f"}, "Can't replace file with directory: x"},
		{"file over dir", map[string]string{"x/y": "f"}, map[string]string{"x": "file"}, "Can't replace directory with file: x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := t.TempDir(), t.TempDir()
			writeFiles(t, a, tc.a)
			writeFiles(t, b, tc.b)
			r := newRepo(t, repo.ModeBareUser)
			_, err := Run(ctx, r, commitOpts(TreeSource{"dir", a}, TreeSource{"dir", b}))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got error %v, want %q", err, tc.wantErr)
			}
			if _, err := r.ResolveRev(ctx, "test", false); err == nil {
				t.Errorf("a failed commit set the ref")
			}
		})
	}
}

func TestLazyTreeMerge(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t, repo.ModeArchive)
	a := t.TempDir()
	writeFiles(t, a, map[string]string{"d/x": "x", "d/sub/y": "y", "e/z": "z"})
	ca, err := Run(ctx, r, commitOpts(TreeSource{"dir", a}))
	if err != nil {
		t.Fatal(err)
	}
	// An unmodified commit taken as a tree keeps its dirtree: committing
	// it again writes no new dirtree.
	again, err := Run(ctx, r, Options{Branch: "again", Trees: []TreeSource{{"ref", ca.Commit.String()}}, Timestamp: tsPtr(1)})
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := r.LoadCommit(ctx, ca.Commit)
	c2, _ := r.LoadCommit(ctx, again.Commit)
	if c1.RootTree != c2.RootTree || c1.RootMeta != c2.RootMeta {
		t.Errorf("tree changed when recommitted from ref")
	}
	if again.Stats.MetadataWritten != 1 {
		t.Errorf("recommitting from a ref wrote %d metadata objects, want only the commit", again.Stats.MetadataWritten)
	}
	// Base plus an overlay only expands the directories it touches.
	b := t.TempDir()
	writeFiles(t, b, map[string]string{"d/sub/w": "w"})
	o := commitOpts(TreeSource{"dir", b})
	o.Base = ca.Commit.String()
	res, err := Run(ctx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/d/", "/d/x = x", "/d/sub/", "/d/sub/w = w", "/d/sub/y = y", "/e/", "/e/z = z"}
	if diff := cmp.Diff(want, listTree(t, r, res.Commit)); diff != "" {
		t.Errorf("base + overlay (-want +got):\n%s", diff)
	}
}

func TestEmptyTree(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t, repo.ModeArchive)
	o := commitOpts(TreeSource{"tar", "-"})
	o.Stdin = strings.NewReader("")
	if _, err := Run(ctx, r, o); err == nil || !strings.Contains(err.Error(), "Can't commit an empty tree") {
		t.Fatalf("got %v, want an empty tree error", err)
	}
}
