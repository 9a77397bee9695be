package fsck_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/fsck"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/traverse"
)

// recorder is an fsck.Reporter that keeps everything.
type recorder struct {
	phases, infos, problems []string
	lastDone, total         int
}

func (r *recorder) Phase(s string)   { r.phases = append(r.phases, s) }
func (r *recorder) Info(s string)    { r.infos = append(r.infos, s) }
func (r *recorder) Problem(s string) { r.problems = append(r.problems, s) }
func (r *recorder) Progress(d, t int) {
	r.lastDone, r.total = d, t
}

func (r *recorder) problemsText() string { return strings.Join(r.problems, "\n") }

var (
	treeA = traverse.TestTree{"firstfile": "first\n", "link": traverse.TestSymlink("nosuchfile"), "baz": traverse.TestTree{"cow": "moo\n", "deeper": traverse.TestTree{"ohyeah": "hi\n"}}}
	treeB = traverse.TestTree{"firstfile": "first\n", "link": traverse.TestSymlink("nosuchfile"), "baz": traverse.TestTree{"cow": "moo\n", "saucer": "alien\n", "deeper": traverse.TestTree{"ohyeah": "hi\n"}}}
)

var modes = []repo.Mode{repo.ModeBare, repo.ModeBareUser, repo.ModeBareUserOnly, repo.ModeArchive}

func setup(t *testing.T, mode repo.Mode) (*repo.Repo, []object.Checksum) {
	t.Helper()
	r := traverse.TestRepo(t, mode)
	return r, traverse.TestChain(t, r, "test2", treeA, treeB)
}

func runFsck(t *testing.T, r *repo.Repo, opts fsck.Options) (*recorder, fsck.Result, error) {
	t.Helper()
	rec := &recorder{}
	res, err := fsck.Run(context.Background(), r, opts, rec)
	return rec, res, err
}

func TestClean(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			r, _ := setup(t, mode)
			rec, res, err := runFsck(t, r, fsck.Options{})
			if err != nil {
				t.Fatalf("fsck of a clean repo: %v\nproblems: %s", err, rec.problemsText())
			}
			if res.Commits != 2 || res.Corrupt || len(rec.problems) != 0 {
				t.Errorf("result %+v, problems %q", res, rec.problems)
			}
			wantPhases := []string{"Validating refs...", "Validating refs in collections...", "Enumerating commits...", "Verifying content integrity of 2 commit objects..."}
			if strings.Join(rec.phases, "|") != strings.Join(wantPhases, "|") {
				t.Errorf("phases = %q, want %q", rec.phases, wantPhases)
			}
			if rec.lastDone != rec.total || rec.total != len(traverse.TestAllObjects(t, r)) {
				t.Errorf("progress %d/%d, repo has %d objects", rec.lastDone, rec.total, len(traverse.TestAllObjects(t, r)))
			}
			if len(rec.infos) != 1 || rec.infos[0] != "object fsck of 2 commits completed successfully - no errors found." {
				t.Errorf("infos = %q", rec.infos)
			}
		})
	}
}

func TestMissingObject(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			r, cs := setup(t, mode)
			f := traverse.TestFileName(t, r, cs[1], "firstfile")
			traverse.TestRemove(t, r, f)
			rec, _, err := runFsck(t, r, fsck.Options{})
			if !errors.Is(err, fsck.ErrCorruption) || err.Error() != "Repository corruption encountered" {
				t.Fatalf("err = %v, want the corruption verdict", err)
			}
			p := rec.problemsText()
			want := fmt.Sprintf("Object missing in commits %s: %s", joinSorted(cs), f)
			if !strings.Contains(p, want) {
				t.Errorf("problems %q lack %q", p, want)
			}
			for _, c := range cs {
				if !strings.Contains(p, "Marking commit as partial: "+c.String()) {
					t.Errorf("commit %s not reported as marked partial", c)
				}
				st, err := r.CommitState(c)
				if err != nil || !st.Partial || !st.FsckPartial {
					t.Errorf("commit %s state = %+v, %v; want fsck-partial", c, st, err)
				}
			}
			// A second run skips the partial commits and says why it fails.
			rec, res, err := runFsck(t, r, fsck.Options{})
			if err == nil || err.Error() != "2 partial commits from fsck-detected corruption" {
				t.Errorf("second run: err = %v", err)
			}
			if res.Partial != 2 || res.Commits != 0 || len(rec.infos) != 1 || rec.infos[0] != "2 partial commits not verified" {
				t.Errorf("second run: result %+v, infos %q", res, rec.infos)
			}
		})
	}
}

func joinSorted(cs []object.Checksum) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.String()
	}
	if s[0] > s[len(s)-1] {
		s[0], s[len(s)-1] = s[len(s)-1], s[0]
	}
	return strings.Join(s, ", ")
}

// corruptions damage the content object of /firstfile in ways every
// mode notices.
func corruptContent(t *testing.T, r *repo.Repo, f object.Name) {
	if r.Mode() == repo.ModeArchive {
		// Appending after the deflate stream goes unnoticed, as with
		// the reference; replace the object instead.
		traverse.TestOverwrite(t, r, f, []byte("whoops\n"))
		return
	}
	traverse.TestAppend(t, r, f, []byte("corrupted\n"))
}

func TestCorruptObjectStops(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			r, cs := setup(t, mode)
			f := traverse.TestFileName(t, r, cs[1], "firstfile")
			corruptContent(t, r, f)
			_, _, err := runFsck(t, r, fsck.Options{})
			if err == nil {
				t.Fatal("fsck passed a corrupt object")
			}
			want := fmt.Sprintf("In commits %s: fsck content object %s: ", joinSorted(cs), f.Checksum)
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("err = %q, want prefix %q", err, want)
			}
			if mode != repo.ModeArchive && !strings.Contains(err.Error(), "Corrupted file object; checksum expected='"+f.Checksum.String()+"'") {
				t.Errorf("err = %q does not report the checksum mismatch", err)
			}
			if st, _ := r.CommitState(cs[0]); st.Partial {
				t.Error("without --delete a corrupt object must not mark commits partial")
			}
		})
	}
}

func TestDeleteAndAll(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			r, cs := setup(t, mode)
			f1 := traverse.TestFileName(t, r, cs[1], "firstfile")
			sub, _ := traverse.TestDirName(t, r, cs[1], "baz")
			corruptContent(t, r, f1)
			// Corrupt a dirtree only the second commit has.
			b, err := os.ReadFile(traverse.TestPath(r, sub))
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)-1] ^= 0xff
			traverse.TestOverwrite(t, r, sub, b)

			rec, _, err := runFsck(t, r, fsck.Options{All: true})
			if err == nil || err.Error() != "Repository corruption encountered" {
				t.Fatalf("--all: err = %v", err)
			}
			if len(rec.problems) != 2 {
				t.Errorf("--all reported %d problems, want 2: %q", len(rec.problems), rec.problems)
			}
			if !strings.Contains(rec.problemsText(), fmt.Sprintf("In commits %s: fsck %s: Corrupted dirtree object; checksum expected='%s'", cs[1], sub, sub.Checksum)) {
				t.Errorf("--all problems %q lack the dirtree", rec.problems)
			}

			rec, _, err = runFsck(t, r, fsck.Options{Delete: true})
			if err == nil || err.Error() != "Repository corruption encountered" {
				t.Fatalf("--delete: err = %v", err)
			}
			for _, n := range []object.Name{f1, sub} {
				if _, err := os.Lstat(traverse.TestPath(r, n)); !os.IsNotExist(err) {
					t.Errorf("--delete left %s: %v", n, err)
				}
			}
			for _, c := range cs {
				if st, _ := r.CommitState(c); !st.FsckPartial {
					t.Errorf("--delete did not mark %s partial", c)
				}
			}
		})
	}
}

func TestRefCommitProblems(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		r, cs := setup(t, repo.ModeArchive)
		traverse.TestRemove(t, r, object.Name{Checksum: cs[1], Type: object.TypeCommit})
		rec, _, err := runFsck(t, r, fsck.Options{Delete: true})
		want := fmt.Sprintf("Loading commit for ref test2: No such metadata object %s.commit", cs[1])
		if err == nil || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
		if rec.problemsText() != fmt.Sprintf("Object missing: %s.commit", cs[1]) {
			t.Errorf("problems = %q", rec.problems)
		}
	})
	t.Run("checksum", func(t *testing.T) {
		r, cs := setup(t, repo.ModeBareUser)
		n := object.Name{Checksum: cs[1], Type: object.TypeCommit}
		traverse.TestOverwrite(t, r, n, nil)
		_, _, err := runFsck(t, r, fsck.Options{})
		want := fmt.Sprintf("fsck %s: Corrupted commit object; checksum expected='%s' actual='%s'", n, cs[1], object.Sum(nil))
		if err == nil || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
	})
}

func TestStructure(t *testing.T) {
	for _, tc := range []struct {
		name string
		tree object.DirTree
		meta object.DirMeta
		want string
	}{
		{"path traversal", object.DirTree{Files: []object.TreeFile{{Name: "../afile"}}}, object.DirMeta{Mode: object.ModeDir | 0o755}, "Invalid / in filename ../afile"},
		{"dot", object.DirTree{Dirs: []object.TreeDir{{Name: "."}}}, object.DirMeta{Mode: object.ModeDir | 0o755}, "Invalid self-referential filename '.'"},
		{"dotdot", object.DirTree{Dirs: []object.TreeDir{{Name: ".."}}}, object.DirMeta{Mode: object.ModeDir | 0o755}, "Invalid path uplink filename '..'"},
		{"empty name", object.DirTree{Files: []object.TreeFile{{Name: ""}}}, object.DirMeta{Mode: object.ModeDir | 0o755}, "Invalid empty filename"},
		{"file and dir of one name", object.DirTree{Files: []object.TreeFile{{Name: "x"}}, Dirs: []object.TreeDir{{Name: "x"}}}, object.DirMeta{Mode: object.ModeDir | 0o755}, `"x" is both a file and a directory`},
		{"dirmeta not a directory", object.DirTree{}, object.DirMeta{Mode: object.ModeReg | 0o644}, "Invalid directory metadata mode 33188; not a directory"},
		{"dirmeta stray bits", object.DirTree{}, object.DirMeta{Mode: object.ModeDir | 0o1000000}, "invalid bits in mode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			r := traverse.TestRepo(t, repo.ModeArchive)
			txn, err := r.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// Entries name the empty dirtree/dirmeta-less checksums; the
			// structure check fires before anything is followed.
			root, err := txn.WriteMetadata(ctx, object.TypeDirTree, object.MarshalDirTree(tc.tree))
			if err != nil {
				t.Fatal(err)
			}
			meta, err := txn.WriteMetadata(ctx, object.TypeDirMeta, object.MarshalDirMeta(tc.meta))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := object.MarshalCommit(&object.Commit{RootTree: root, RootMeta: meta})
			c, err := txn.WriteMetadata(ctx, object.TypeCommit, b)
			if err != nil {
				t.Fatal(err)
			}
			if err := txn.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			rec, _, err := runFsck(t, r, fsck.Options{All: true})
			if err == nil {
				t.Fatal("fsck passed")
			}
			if !strings.Contains(rec.problemsText(), tc.want) {
				t.Errorf("problems %q lack %q", rec.problems, tc.want)
			}
			if !strings.Contains(rec.problemsText(), "In commits "+c.String()) {
				t.Errorf("problems %q do not name the commit", rec.problems)
			}
		})
	}
}

func TestWrongNameAndTruncated(t *testing.T) {
	r, cs := setup(t, repo.ModeArchive)
	a := traverse.TestFileName(t, r, cs[1], "firstfile")
	traverse.TestOverwrite(t, r, a, must(os.ReadFile(traverse.TestPath(r, traverse.TestFileName(t, r, cs[0], "link")))))
	sub, _ := traverse.TestDirName(t, r, cs[1], "baz")
	dt, err := r.LoadDirTree(context.Background(), sub.Checksum)
	if err != nil {
		t.Fatal(err)
	}
	cow := object.Name{Checksum: dt.Files[0].Checksum, Type: object.TypeFile}
	full := must(os.ReadFile(traverse.TestPath(r, cow)))
	traverse.TestOverwrite(t, r, cow, full[:5])

	rec, _, err := runFsck(t, r, fsck.Options{All: true})
	if err == nil {
		t.Fatal("fsck passed")
	}
	p := rec.problemsText()
	if !strings.Contains(p, fmt.Sprintf("fsck content object %s: Corrupted file object; checksum expected='%s' actual='%s'", a.Checksum, a.Checksum, traverse.TestFileName(t, r, cs[0], "link").Checksum)) {
		t.Errorf("misnamed object not reported with both checksums: %q", p)
	}
	if !strings.Contains(p, "fsck content object "+cow.Checksum.String()+": ") {
		t.Errorf("truncated object not named: %q", p)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestAddTombstones(t *testing.T) {
	r, cs := setup(t, repo.ModeArchive)
	traverse.TestRemove(t, r, object.Name{Checksum: cs[0], Type: object.TypeCommit})
	rec, _, err := runFsck(t, r, fsck.Options{AddTombstones: true})
	if err != nil {
		t.Fatalf("err = %v; problems %q", err, rec.problems)
	}
	// Like the reference, the commit whose parent is missing is the one
	// replaced by a tombstone.
	if len(rec.infos) != 2 || rec.infos[0] != "Adding tombstone for commit "+cs[1].String() {
		t.Errorf("infos = %q", rec.infos)
	}
	if !r.TombstoneCommits() {
		t.Error("core.tombstone-commits not enabled")
	}
	if _, err := os.Stat(traverse.TestPath(r, object.Name{Checksum: cs[1], Type: object.TypeTombstoneCommit})); err != nil {
		t.Errorf("no tombstone: %v", err)
	}
}

func TestBindings(t *testing.T) {
	ctx := context.Background()
	r := traverse.TestRepo(t, repo.ModeArchive)
	c := traverse.TestCommit(t, r, treeA, traverse.TestCommitOptions{Ref: "ref3", RefBindings: []string{"ref3", "ref4"}})
	if err := r.SetRef(ctx, "", "new-ref", &c); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runFsck(t, r, fsck.Options{}); err != nil {
		t.Fatalf("bindings are not checked by default: %v", err)
	}
	_, _, err := runFsck(t, r, fsck.Options{VerifyBindings: true})
	want := fmt.Sprintf("Commit %s: Commit has no requested ref ‘new-ref’ in ref binding metadata (‘ref3’, ‘ref4’)", c)
	if err == nil || err.Error() != want {
		t.Errorf("--verify-bindings: err = %v, want %q", err, want)
	}
	if err := r.SetRef(ctx, "", "new-ref", nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = runFsck(t, r, fsck.Options{VerifyBackRefs: true})
	want = fmt.Sprintf("Ref ‘ref4’ in bindings for commit %s does not exist", c)
	if err == nil || err.Error() != want {
		t.Errorf("--verify-back-refs: err = %v, want %q", err, want)
	}
}

func TestVerifyBindings(t *testing.T) {
	md := func(refs []string, cid string) object.Metadata {
		r := traverse.TestRepo(t, repo.ModeArchive)
		c := traverse.TestCommit(t, r, traverse.TestTree{}, traverse.TestCommitOptions{RefBindings: refs, CollectionBinding: cid})
		cm, err := r.LoadCommit(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		return cm.Metadata
	}
	for _, tc := range []struct {
		name      string
		md        object.Metadata
		cid, ref  string
		wantError string
	}{
		{"unbound, no collection", md(nil, ""), "", "main", ""},
		{"unbound, collection", md(nil, ""), "org.example.C", "main", "Expected commit metadata to have ref binding information, found none"},
		{"bound", md([]string{"main"}, ""), "", "main", ""},
		{"by checksum", md([]string{"main"}, ""), "", "", ""},
		{"wrong ref", md([]string{"a", "b"}, ""), "", "main", "Commit has no requested ref ‘main’ in ref binding metadata (‘a’, ‘b’)"},
		{"no collection binding", md([]string{"main"}, ""), "org.example.C", "main", "Expected commit metadata to have collection ID binding information, found none"},
		{"wrong collection", md([]string{"main"}, "org.example.C"), "org.example.D", "main", "Commit has collection ID ‘org.example.C’ in collection binding metadata, while the remote it came from has collection ID ‘org.example.D’"},
		{"right collection", md([]string{"main"}, "org.example.C"), "org.example.C", "main", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := fsck.VerifyBindings(tc.cid, tc.ref, tc.md)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantError {
				t.Errorf("VerifyBindings = %q, want %q", got, tc.wantError)
			}
		})
	}
}

func TestParentRepo(t *testing.T) {
	// Commits stored in a parent repository are verified too.
	ctx := context.Background()
	parent, _ := setup(t, repo.ModeArchive)
	child, err := repo.Init(ctx, filepath.Join(t.TempDir(), "child"), repo.InitOptions{Mode: repo.ModeArchive})
	if err != nil {
		t.Fatal(err)
	}
	cfg := child.Config()
	cfg.SetValue("core", "parent", parent.Path())
	if err := child.WriteConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	_, res, err := runFsck(t, child, fsck.Options{})
	if err != nil || res.Commits != 2 {
		t.Errorf("fsck of a child repo = %+v, %v; want 2 commits verified", res, err)
	}
}

// A content object whose header gives a character-device mode is
// reported by name, as libostree reports it.
func TestDeviceModeObject(t *testing.T) {
	r, cs := setup(t, repo.ModeArchive)
	a := traverse.TestFileName(t, r, cs[1], "firstfile")
	var b bytes.Buffer
	if err := object.WriteArchive(&b, &object.FileHeader{Mode: 0o20644}, 0, strings.NewReader(""), 1); err != nil {
		t.Fatal(err)
	}
	traverse.TestOverwrite(t, r, a, b.Bytes())
	rec, _, err := runFsck(t, r, fsck.Options{All: true})
	if err == nil {
		t.Fatal("fsck passed")
	}
	want := fmt.Sprintf("fsck content object %s: Corrupted archive file; invalid mode 8612", a.Checksum)
	if !strings.Contains(rec.problemsText(), want) {
		t.Errorf("problems %q lack %q", rec.problems, want)
	}
}
