package commit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

func countObjects(t *testing.T, r *repo.Repo) int {
	t.Helper()
	n := 0
	if err := r.ListObjects(context.Background(), func(object.Name) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDirBadInput(t *testing.T) {
	ctx := context.Background()
	for _, mode := range allModes {
		t.Run(mode.String(), func(t *testing.T) {
			src := t.TempDir()
			writeFiles(t, src, map[string]string{"ok/file": "x", "sub/": ""})
			if err := syscall.Mkfifo(filepath.Join(src, "sub/fifo"), 0o644); err != nil {
				t.Fatal(err)
			}
			r := newRepo(t, mode)
			_, err := Run(ctx, r, commitOpts(TreeSource{"dir", src}))
			if err == nil || !strings.Contains(err.Error(), "Not a regular file or symlink: /sub/fifo") {
				t.Fatalf("got %v, want an error naming /sub/fifo", err)
			}
			if n := countObjects(t, r); n != 0 {
				t.Errorf("%d objects published by a failed commit", n)
			}
			if _, err := r.ResolveRev(ctx, "test", false); err == nil {
				t.Errorf("failed commit wrote its ref")
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		r := newRepo(t, repo.ModeArchive)
		_, err := Run(ctx, r, commitOpts(TreeSource{"dir", filepath.Join(t.TempDir(), "nope")}))
		if err == nil || !strings.Contains(err.Error(), "nope") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("unreadable", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root reads everything; the fifo case covers unreadable input")
		}
		src := t.TempDir()
		writeFiles(t, src, map[string]string{"secret": "x"})
		os.Chmod(filepath.Join(src, "secret"), 0)
		r := newRepo(t, repo.ModeArchive)
		_, err := Run(ctx, r, commitOpts(TreeSource{"dir", src}))
		if err == nil || !strings.Contains(err.Error(), "/secret") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("bad name", func(t *testing.T) {
		src := t.TempDir()
		writeFiles(t, src, map[string]string{"bad\x80": "x"})
		r := newRepo(t, repo.ModeArchive)
		_, err := Run(ctx, r, commitOpts(TreeSource{"dir", src}))
		if err == nil || !strings.Contains(err.Error(), "Invalid UTF-8 in filename") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestConsumeAdopt(t *testing.T) {
	ctx := context.Background()
	for _, mode := range allModes {
		t.Run(mode.String(), func(t *testing.T) {
			r := newRepo(t, mode)
			// The source must be on the repo's filesystem for adoption.
			src := filepath.Join(filepath.Dir(r.Path()), "src")
			writeFiles(t, src, map[string]string{"a/eatme": "food", "b": "->a/eatme"})
			saved := filepath.Join(filepath.Dir(r.Path()), "saved")
			if err := os.Link(filepath.Join(src, "a/eatme"), saved); err != nil {
				t.Fatal(err)
			}
			mod := NewModifier()
			mod.Consume = true
			if mode == repo.ModeBareUserOnly {
				mod.CanonicalPermissions = true
			}
			o := commitOpts(TreeSource{"dir", src})
			o.Modifier = mod
			res, err := Run(ctx, r, o)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Lstat(src); !os.IsNotExist(err) {
				t.Errorf("source still exists after --consume: %v", err)
			}
			cm, _ := r.LoadCommit(ctx, res.Commit)
			dt, _ := r.LoadDirTree(ctx, cm.RootTree)
			sub, _ := r.LoadDirTree(ctx, dt.Dirs[0].Tree)
			obj := r.ObjectPath(sub.Files[0].Checksum, object.TypeFile)
			a, err := os.Stat(saved)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.Stat(obj)
			if err != nil {
				t.Fatal(err)
			}
			adopted := os.SameFile(a, b)
			if want := mode == repo.ModeBare || mode == repo.ModeBareUserOnly; adopted != want {
				t.Errorf("adopted = %v, want %v", adopted, want)
			}
		})
	}
}

// TestLinkCheckoutSpeedup commits a hardlink "checkout" of objects: in
// bare-user repos ownership comes from the objects, and -I takes the
// checksums without looking at the files.
func TestLinkCheckoutSpeedup(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t, repo.ModeBareUser)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"bin/tool": "tool", "lib/so": "lib"})
	mod := NewModifier()
	mod.OwnerUID, mod.OwnerGID = 0, 81
	o := commitOpts(TreeSource{"dir", src})
	o.Modifier = mod
	first, err := Run(ctx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	// Hardlink the objects into a new tree, plus one new file.
	co := t.TempDir()
	cm, _ := r.LoadCommit(ctx, first.Commit)
	dt, _ := r.LoadDirTree(ctx, cm.RootTree)
	for _, d := range dt.Dirs {
		sub, _ := r.LoadDirTree(ctx, d.Tree)
		os.MkdirAll(filepath.Join(co, d.Name), 0o755)
		for _, f := range sub.Files {
			if err := os.Link(r.ObjectPath(f.Checksum, object.TypeFile), filepath.Join(co, d.Name, f.Name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	writeFiles(t, co, map[string]string{"new": "new"})

	o = commitOpts(TreeSource{"dir", co})
	o.Branch, o.LinkCheckoutSpeedup = "speedup", true
	res, err := Run(ctx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.ContentCacheHits != 2 {
		t.Errorf("cache hits = %d, want 2", res.Stats.ContentCacheHits)
	}
	got := ownership(t, r, res.Commit)
	if got["bin/tool"] != [2]uint32{0, 81} || got["lib/so"] != [2]uint32{0, 81} {
		t.Errorf("ownership not taken from the objects: %v", got)
	}

	// With -I even --owner-uid is ignored for hardlinked files.
	mod = NewModifier()
	mod.OwnerUID, mod.DevinoCanonical = 7, true
	o = commitOpts(TreeSource{"dir", co})
	o.Branch, o.LinkCheckoutSpeedup, o.Modifier = "devino", true, mod
	res, err = Run(ctx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	got = ownership(t, r, res.Commit)
	if got["bin/tool"] != [2]uint32{0, 81} || got["new"][0] != 7 {
		t.Errorf("-I ownership: %v", got)
	}
}

func ownership(t *testing.T, r *repo.Repo, c object.Checksum) map[string][2]uint32 {
	t.Helper()
	ctx := context.Background()
	out := map[string][2]uint32{}
	cm, _ := r.LoadCommit(ctx, c)
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
			rc.Close()
			out[prefix+f.Name] = [2]uint32{h.UID, h.GID}
		}
		for _, d := range dt.Dirs {
			walk(prefix+d.Name+"/", d.Tree)
		}
	}
	walk("", cm.RootTree)
	return out
}

func TestCommitOptions(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t, repo.ModeArchive)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"f": "x"})
	o := commitOpts(TreeSource{"dir", src})
	o.Metadata = object.Metadata{{Key: "keepme", Value: gvariantString("v")}}
	first, err := Run(ctx, r, o)
	if err != nil {
		t.Fatal(err)
	}

	// Unchanged content with --skip-if-unchanged: nothing new.
	o = commitOpts(TreeSource{"dir", src})
	o.SkipIfUnchanged = true
	res, err := Run(ctx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Skipped || res.Commit != first.Commit {
		t.Errorf("skip-if-unchanged: %+v", res)
	}

	// The branch head is the default parent; kept metadata comes from it.
	o = commitOpts(TreeSource{"dir", src})
	o.KeepMetadata = []string{"keepme"}
	second, err := Run(ctx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	cm, _ := r.LoadCommit(ctx, second.Commit)
	if cm.Parent != first.Commit {
		t.Errorf("parent = %s, want %s", cm.Parent, first.Commit)
	}
	if v, ok := cm.Metadata.String("keepme"); !ok || v != "v" {
		t.Errorf("kept metadata missing: %v", cm.Metadata)
	}

	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"no branch", func(o *Options) { o.Branch = "" }, "A branch must be specified with --branch, or use --orphan"},
		{"bad parent", func(o *Options) { o.Parent = "abc" }, "Invalid rev abc"},
		{"bad branch", func(o *Options) { o.Branch = "-bad" }, "Invalid refspec -bad"},
		{"keep without parent", func(o *Options) { o.Orphan, o.Branch, o.KeepMetadata = true, "", []string{"x"} }, "Either --branch or --parent must be specified when using --keep-metadata"},
		{"keep missing", func(o *Options) { o.KeepMetadata = []string{"nope"} }, "Missing metadata key 'nope' from commit"},
		{"empty key", func(o *Options) { o.Metadata = object.Metadata{{Key: "", Value: gvariantString("x")}} }, "Empty metadata key"},
		{"tree type", func(o *Options) { o.Trees = []TreeSource{{"zip", "x"}} }, "Invalid tree type specification 'zip'"},
		{"no kernel", func(o *Options) { o.Bootable = true }, "No such file or directory"},
		{"bad epoch", func(o *Options) {
			o.Timestamp = nil
			o.Getenv = func(k string) string { return map[string]string{"SOURCE_DATE_EPOCH": "invalid"}[k] }
		}, "Failed to convert SOURCE_DATE_EPOCH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := commitOpts(TreeSource{"dir", src})
			tc.edit(&o)
			_, err := Run(ctx, r, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := ParseTreeSource("noequals"); err == nil || err.Error() != "Missing type in tree specification 'noequals'" {
		t.Errorf("ParseTreeSource: %v", err)
	}
}

// TestGenerateSizes compares ostree.sizes with the reference's: the same
// objects, unpacked sizes and types (compressed sizes depend on the
// deflate implementation).
func TestGenerateSizes(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "src")
	writeFiles(t, src, map[string]string{"a/b": "hello", "a/c": "->b", "d/": "", "e": ""})
	d := t.TempDir()
	refOstree(t, ref, "init", "--repo="+filepath.Join(d, "ref"), "--mode=archive")
	refOstree(t, ref, "commit", "--repo="+filepath.Join(d, "ref"), "-b", "x", "--generate-sizes", "--tree=dir="+src)
	rr, err := repo.Open(ctx, filepath.Join(d, "ref"))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := rr.ResolveRev(ctx, "x", false)
	rc, _ := rr.LoadCommit(ctx, c)
	r := newRepo(t, repo.ModeArchive)
	mod := NewModifier()
	mod.GenerateSizes = true
	o := commitOpts(TreeSource{"dir", src})
	o.Modifier = mod
	res, err := Run(ctx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	oc, _ := r.LoadCommit(ctx, res.Commit)
	strip := func(md object.Metadata) []string {
		v, ok := md.Lookup(KeySizes)
		if !ok {
			t.Fatal("no ostree.sizes")
		}
		var out []string
		for _, e := range v.Value.([]any) {
			b := e.([]byte)
			rest := b[32:]
			_, n := uvarint(rest)
			out = append(out, string(b[:32])+string(rest[n:]))
		}
		return out
	}
	got, want := strip(oc.Metadata), strip(rc.Metadata)
	if len(got) != len(want) {
		t.Fatalf("%d size entries, reference has %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("entry %d differs beyond the compressed size", i)
		}
	}
}

func uvarint(b []byte) (uint64, int) {
	var x uint64
	for i, c := range b {
		x |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return x, i + 1
		}
	}
	return x, len(b)
}

func gvariantString(s string) gvariant.Variant { return gvariant.NewVariant("s", s) }
