package pull_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsck"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
	"github.com/gostree/gostree/internal/traverse"
)

var (
	modes = []repo.Mode{repo.ModeBare, repo.ModeBareUser, repo.ModeBareUserOnly, repo.ModeArchive}
	treeA = traverse.TestTree{"firstfile": "first\n", "somelink": traverse.TestSymlink("nosuchfile"), "baz": traverse.TestTree{"cow": "moo\n", "x": traverse.TestExec("#!/bin/sh\n"), "deeper": traverse.TestTree{}}}
	treeB = traverse.TestTree{"firstfile": "first\n", "somelink": traverse.TestSymlink("nosuchfile"), "baz": traverse.TestTree{"cow": "moo\n", "saucer": "alien\n"}}
)

type nopReporter struct{}

func (nopReporter) Phase(string)      {}
func (nopReporter) Info(string)       {}
func (nopReporter) Problem(string)    {}
func (nopReporter) Progress(int, int) {}

func checkFsck(t *testing.T, r *repo.Repo) {
	t.Helper()
	if _, err := fsck.Run(context.Background(), r, fsck.Options{}, nopReporter{}); err != nil {
		t.Errorf("fsck of %s: %v", r.Path(), err)
	}
}

func source(t *testing.T, mode repo.Mode) (*repo.Repo, []object.Checksum) {
	t.Helper()
	r := traverse.TestRepo(t, mode)
	return r, traverse.TestChain(t, r, "test2", treeA, treeB)
}

func doPull(t *testing.T, dst, src *repo.Repo, opts pull.Options) pull.Stats {
	t.Helper()
	st, err := pull.Pull(context.Background(), dst, pull.NewLocalSource(src), opts)
	if err != nil {
		t.Fatalf("pull: %v", err)
	}
	return st
}

func countCommits(t *testing.T, r *repo.Repo) (commits, partial int) {
	t.Helper()
	for n := range traverse.TestAllObjects(t, r) {
		if n.Type == object.TypeCommit {
			commits++
			if p, _ := r.IsPartial(n.Checksum); p {
				partial++
			}
		}
	}
	return commits, partial
}

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	st, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

func TestEveryModePair(t *testing.T) {
	ctx := context.Background()
	for _, sm := range modes {
		src, cs := source(t, sm)
		for _, dm := range modes {
			t.Run(sm.String()+"->"+dm.String(), func(t *testing.T) {
				dst := traverse.TestRepo(t, dm)
				st := doPull(t, dst, src, pull.Options{})
				if st.MetadataImported == 0 || st.ContentImported == 0 {
					t.Errorf("stats %+v", st)
				}
				got, err := dst.ResolveRev(ctx, "test2", false)
				if err != nil || got != cs[1] {
					t.Errorf("ref test2 = %s, %v; want %s", got, err, cs[1])
				}
				if c, p := countCommits(t, dst); c != 1 || p != 0 {
					t.Errorf("%d commits (%d partial), want 1 complete", c, p)
				}
				checkFsck(t, dst)
				// Metadata always links; content links within a mode.
				cn := object.Name{Checksum: cs[1], Type: object.TypeCommit}
				if inode(t, traverse.TestPath(src, cn)) != inode(t, traverse.TestPath(dst, cn)) {
					t.Error("commit object not hard-linked")
				}
				f := traverse.TestFileName(t, src, cs[1], "firstfile")
				linked := inode(t, traverse.TestPath(src, f)) == inode(t, traverse.TestPath(dst, f))
				wantLinked := sm == dm || sm == repo.ModeBareUser && dm == repo.ModeBareUserOnly
				if linked != wantLinked {
					t.Errorf("content hard-linked = %v, want %v", linked, wantLinked)
				}
				if wantLinked == (st.ContentBytesWritten != 0) {
					t.Errorf("content bytes written = %d with linking %v", st.ContentBytesWritten, wantLinked)
				}
				// A second pull has nothing to do.
				if st := doPull(t, dst, src, pull.Options{}); st.MetadataImported != 0 || st.ContentImported != 0 {
					t.Errorf("second pull imported %+v", st)
				}
			})
		}
	}
}

func TestDepth(t *testing.T) {
	src, cs := source(t, repo.ModeArchive)
	dst := traverse.TestRepo(t, repo.ModeArchive)
	for _, step := range []struct {
		opts            pull.Options
		commits, parial int
	}{
		{pull.Options{}, 1, 0},
		{pull.Options{Depth: 0}, 1, 0},
		{pull.Options{Depth: 1, CommitOnly: true}, 2, 1},
		{pull.Options{Depth: 1}, 2, 0},
		{pull.Options{Depth: -1}, 2, 0},
	} {
		doPull(t, dst, src, step.opts)
		if c, p := countCommits(t, dst); c != step.commits || p != step.parial {
			t.Fatalf("after %+v: %d commits, %d partial; want %d, %d", step.opts, c, p, step.commits, step.parial)
		}
	}
	checkFsck(t, dst)

	// A source whose history was cut short still pulls with depth.
	traverse.TestRemove(t, src, object.Name{Checksum: cs[0], Type: object.TypeCommit})
	for _, depth := range []int{1, -1} {
		dst := traverse.TestRepo(t, repo.ModeArchive)
		doPull(t, dst, src, pull.Options{Depth: depth})
		if c, p := countCommits(t, dst); c != 1 || p != 0 {
			t.Errorf("depth %d with a missing parent: %d commits, %d partial", depth, c, p)
		}
	}
	// But not when the head itself is missing.
	traverse.TestRemove(t, src, object.Name{Checksum: cs[1], Type: object.TypeCommit})
	dst = traverse.TestRepo(t, repo.ModeArchive)
	if _, err := pull.Pull(context.Background(), dst, pull.NewLocalSource(src), pull.Options{Depth: -1}); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("pull of a missing head: err = %v", err)
	}
}

func TestRefs(t *testing.T) {
	ctx := context.Background()
	src, cs := source(t, repo.ModeArchive)
	dst := traverse.TestRepo(t, repo.ModeArchive)
	doPull(t, dst, src, pull.Options{Refs: []string{"test2"}, Remote: "origin"})
	if _, err := os.Stat(filepath.Join(dst.Path(), "refs", "remotes", "origin", "test2")); err != nil {
		t.Errorf("remote ref not written: %v", err)
	}
	if _, err := dst.ResolveRev(ctx, "test2", true); err != nil {
		t.Error(err)
	}
	dst = traverse.TestRepo(t, repo.ModeArchive)
	doPull(t, dst, src, pull.Options{Refs: []string{cs[0].String()}})
	if refs, _ := dst.ListRefs(ctx, true); len(refs) != 0 {
		t.Errorf("pulling a checksum wrote refs %v", refs)
	}
	if ok, _ := dst.HasObject(ctx, cs[0], object.TypeCommit); !ok {
		t.Error("commit pulled by checksum missing")
	}
	_, err := pull.Pull(ctx, dst, pull.NewLocalSource(src), pull.Options{Refs: []string{"nosuch"}})
	if err == nil || err.Error() != "Refspec 'nosuch' not found: not found" {
		t.Errorf("unknown ref: err = %v", err)
	}
	if err := src.SetRef(ctx, "origin", "foo", &cs[0]); err != nil {
		t.Fatal(err)
	}
	_, err = pull.Pull(ctx, traverse.TestRepo(t, repo.ModeArchive), pull.NewLocalSource(src), pull.Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "Invalid ref name origin:foo") {
		t.Errorf("source with remote refs: err = %v", err)
	}
}

func TestRepairAfterFsckDelete(t *testing.T) {
	ctx := context.Background()
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			src, cs := source(t, mode)
			dst := traverse.TestRepo(t, mode)
			doPull(t, dst, src, pull.Options{Untrusted: true}) // copies, so dst can be damaged alone
			f := traverse.TestFileName(t, dst, cs[1], "firstfile")
			traverse.TestOverwrite(t, dst, f, []byte("whoops\n"))
			if _, err := fsck.Run(ctx, dst, fsck.Options{Delete: true}, nopReporter{}); err == nil {
				t.Fatal("fsck passed a corrupt object")
			}
			if _, err := fsck.Run(ctx, dst, fsck.Options{}, nopReporter{}); err == nil {
				t.Fatal("fsck passed a repo with fsck-partial commits")
			}
			st := doPull(t, dst, src, pull.Options{})
			if st.ContentImported != 1 || st.MetadataImported != 0 {
				t.Errorf("repair imported %+v, want the one file", st)
			}
			checkFsck(t, dst)
		})
	}
}

func TestUntrustedCorruption(t *testing.T) {
	src, cs := source(t, repo.ModeBare)
	f := traverse.TestFileName(t, src, cs[1], "firstfile")
	traverse.TestOverwrite(t, src, f, []byte("first\nblah\n"))
	if err := os.Chmod(traverse.TestPath(src, f), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := traverse.TestRepo(t, repo.ModeBare)
	_, err := pull.Pull(context.Background(), dst, pull.NewLocalSource(src), pull.Options{Untrusted: true})
	if err == nil || !strings.Contains(err.Error(), "Corrupted file object; checksum expected='"+f.Checksum.String()) {
		t.Errorf("untrusted pull of a corrupt object: err = %v", err)
	}
	// Trusted pulls link without reading; fsck notices.
	doPull(t, dst, src, pull.Options{})
	if _, err := fsck.Run(context.Background(), dst, fsck.Options{}, nopReporter{}); err == nil || !strings.Contains(err.Error(), f.Checksum.String()) {
		t.Errorf("fsck after a trusted pull of a corrupt object: %v", err)
	}
	// Copying between modes trusts a local source too, as libostree's
	// pull-local does (the test suite builds corrupt served repos this
	// way); fsck of the copy notices, and --untrusted refuses.
	arch := traverse.TestRepo(t, repo.ModeArchive)
	doPull(t, arch, src, pull.Options{})
	if _, err := fsck.Run(context.Background(), arch, fsck.Options{}, nopReporter{}); err == nil || !strings.Contains(err.Error(), f.Checksum.String()) {
		t.Errorf("fsck after a trusted copy of a corrupt object: %v", err)
	}
	_, err = pull.Pull(context.Background(), traverse.TestRepo(t, repo.ModeArchive), pull.NewLocalSource(src), pull.Options{Untrusted: true})
	if !errors.Is(err, errdefs.ErrCorrupt) || !strings.Contains(err.Error(), f.Checksum.String()) {
		t.Errorf("untrusted copy of a corrupt object: err = %v", err)
	}
}

func TestBareUserOnlyFiles(t *testing.T) {
	ctx := context.Background()
	src := traverse.TestRepo(t, repo.ModeArchive)
	txn, err := src.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := &object.FileHeader{Mode: object.ModeReg | 0o4644}
	fc, err := txn.WriteFile(ctx, h, 3, strings.NewReader("su\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := txn.WriteMetadata(ctx, object.TypeDirTree, object.MarshalDirTree(object.DirTree{Files: []object.TreeFile{{Name: "some-setuid", Checksum: fc}}}))
	if err != nil {
		t.Fatal(err)
	}
	meta, err := txn.WriteMetadata(ctx, object.TypeDirMeta, object.MarshalDirMeta(object.DirMeta{Mode: object.ModeDir | 0o755}))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := object.MarshalCommit(&object.Commit{RootTree: tree, RootMeta: meta})
	c, err := txn.WriteMetadata(ctx, object.TypeCommit, b)
	if err != nil {
		t.Fatal(err)
	}
	txn.SetRef("", "content-with-suid", &c)
	if err := txn.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = pull.Pull(ctx, traverse.TestRepo(t, repo.ModeArchive), pull.NewLocalSource(src), pull.Options{BareUserOnlyFiles: true})
	if err == nil || !strings.Contains(err.Error(), "Content object "+fc.String()+": invalid mode 0104644 with bits 04000") {
		t.Errorf("err = %v", err)
	}
}

func TestBindingsAndDetached(t *testing.T) {
	ctx := context.Background()
	src := traverse.TestRepo(t, repo.ModeArchive)
	c := traverse.TestCommit(t, src, treeA, traverse.TestCommitOptions{Ref: "main", RefBindings: []string{"other"}})
	md := object.Metadata{{Key: "SIGNATURE", Value: gvariant.NewVariant("s", "HANCOCK")}}
	if err := src.WriteDetachedMetadata(ctx, c, md); err != nil {
		t.Fatal(err)
	}
	dst := traverse.TestRepo(t, repo.ModeArchive)
	_, err := pull.Pull(ctx, dst, pull.NewLocalSource(src), pull.Options{})
	if err == nil || !strings.Contains(err.Error(), "Commit "+c.String()+": Commit has no requested ref ‘main’ in ref binding metadata (‘other’)") {
		t.Errorf("binding mismatch: err = %v", err)
	}
	dst = traverse.TestRepo(t, repo.ModeArchive)
	doPull(t, dst, src, pull.Options{DisableVerifyBindings: true})
	got, err := dst.LoadDetachedMetadata(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := got.String("SIGNATURE"); s != "HANCOCK" {
		t.Errorf("detached metadata = %v", got)
	}
}

func TestTombstoneReplaced(t *testing.T) {
	ctx := context.Background()
	src, cs := source(t, repo.ModeArchive)
	dst := traverse.TestRepo(t, repo.ModeArchive)
	doPull(t, dst, src, pull.Options{Depth: -1})
	if err := dst.EnableTombstoneCommits(ctx); err != nil {
		t.Fatal(err)
	}
	if err := dst.RemoveObject(ctx, cs[0], object.TypeCommit); err != nil {
		t.Fatal(err)
	}
	tomb := traverse.TestPath(dst, object.Name{Checksum: cs[0], Type: object.TypeTombstoneCommit})
	if _, err := os.Stat(tomb); err != nil {
		t.Fatal(err)
	}
	doPull(t, dst, src, pull.Options{Depth: -1})
	if _, err := os.Stat(tomb); !os.IsNotExist(err) {
		t.Errorf("tombstone kept after the commit came back: %v", err)
	}
}

// TestReferenceInterop pulls between every pair of modes starting from a
// reference-written repository and lets the reference fsck the result.
func TestReferenceInterop(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	for p, content := range map[string]string{"a": "alpha\n", "d/b": "beta\n", "d/e/c": "gamma\n"} {
		if err := os.MkdirAll(filepath.Join(tree, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tree, p), []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a", filepath.Join(tree, "l")); err != nil {
		t.Fatal(err)
	}
	names := []string{"bare", "bare-user", "bare-user-only", "archive"}
	srcs := map[string]string{}
	for _, m := range names {
		rp := filepath.Join(dir, "src-"+m)
		run(t, ref, "--repo="+rp, "init", "--mode="+m)
		args := []string{"--repo=" + rp, "commit", "-b", "main", "--tree=dir=" + tree}
		if m == "bare-user-only" {
			args = append(args, "--canonical-permissions", "--owner-uid=0", "--owner-gid=0")
		}
		run(t, ref, args...)
		run(t, ref, args...)
		srcs[m] = rp
	}
	for _, sm := range names {
		for _, dm := range names {
			t.Run(sm+"->"+dm, func(t *testing.T) {
				src, err := repo.Open(ctx, srcs[sm])
				if err != nil {
					t.Fatal(err)
				}
				dp := filepath.Join(t.TempDir(), "dst")
				run(t, ref, "--repo="+dp, "init", "--mode="+dm)
				dst, err := repo.Open(ctx, dp)
				if err != nil {
					t.Fatal(err)
				}
				doPull(t, dst, src, pull.Options{Depth: -1})
				out := run(t, ref, "--repo="+dp, "fsck")
				if !strings.Contains(out, "object fsck of 2 commits completed successfully") {
					t.Errorf("reference fsck: %s", out)
				}
				// And back: the reference pulls from what we wrote.
				back := filepath.Join(t.TempDir(), "back")
				run(t, ref, "--repo="+back, "init", "--mode="+sm)
				run(t, ref, "--repo="+back, "pull-local", "--untrusted", dp)
				run(t, ref, "--repo="+back, "fsck")
			})
		}
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
