package fsck_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/fsck"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
	"github.com/gostree/gostree/internal/traverse"
)

// referenceRepo builds the two-commit repository of libostree's
// setup_test_repository with the reference binary.
func referenceRepo(t *testing.T, ref, mode string) string {
	t.Helper()
	dir := t.TempDir()
	files := filepath.Join(dir, "files")
	rp := filepath.Join(dir, "repo")
	sh(t, ref, "--repo="+rp, "init", "--mode="+mode)
	mk := func(p, content string, perm os.FileMode) {
		p = filepath.Join(files, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), perm); err != nil {
			t.Fatal(err)
		}
	}
	mk("firstfile", "first\n", 0o644)
	if err := os.Symlink("nosuchfile", filepath.Join(files, "somelink")); err != nil {
		t.Fatal(err)
	}
	args := []string{"--repo=" + rp, "commit", "-b", "test2", "--tree=dir=" + files, "--timestamp=2020-01-01"}
	if mode == "bare-user-only" {
		args = append(args, "--owner-uid=0", "--owner-gid=0", "--no-xattrs", "--canonical-permissions")
	}
	sh(t, ref, args...)
	mk("baz/cow", "moo\n", 0o644)
	mk("baz/cowro", "mooro\n", 0o600)
	mk("baz/deeper/ohyeah", "hi\n", 0o644)
	mk("baz/another/y", "x\n", 0o644)
	args[len(args)-1] = "--timestamp=2020-01-02"
	sh(t, ref, args...)
	return rp
}

func sh(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func copyRepo(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "repo")
	sh(t, "cp", "-a", src, dst)
	return dst
}

// stateOf lists what fsck may change: objects and commitpartial markers.
func stateOf(t *testing.T, rp string) string {
	t.Helper()
	var out []string
	for _, d := range []string{"objects", "state"} {
		filepath.Walk(filepath.Join(rp, d), func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				b, _ := os.ReadFile(p)
				rel, _ := filepath.Rel(rp, p)
				if d == "state" {
					rel += "=" + string(b)
				}
				out = append(out, rel)
			}
			return nil
		})
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// TestReferenceVerdicts damages reference-written repositories and
// checks that our fsck reports exactly what the reference reports, and
// leaves the same objects and commitpartial markers.
func TestReferenceVerdicts(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	type corrupt func(t *testing.T, r *repo.Repo, head object.Checksum)
	firstfile := func(t *testing.T, r *repo.Repo, head object.Checksum) object.Name {
		return traverse.TestFileName(t, r, head, "firstfile")
	}
	baz := func(t *testing.T, r *repo.Repo, head object.Checksum) object.DirTree {
		sub, _ := traverse.TestDirName(t, r, head, "baz")
		dt, err := r.LoadDirTree(context.Background(), sub.Checksum)
		if err != nil {
			t.Fatal(err)
		}
		return dt
	}
	cases := []struct {
		name    string
		args    []string
		modes   []string
		corrupt corrupt
	}{
		{"clean", nil, nil, func(*testing.T, *repo.Repo, object.Checksum) {}},
		{"missing file", []string{"-q"}, nil, func(t *testing.T, r *repo.Repo, h object.Checksum) {
			traverse.TestRemove(t, r, firstfile(t, r, h))
		}},
		{"corrupt file", nil, []string{"bare-user", "bare-user-only"}, func(t *testing.T, r *repo.Repo, h object.Checksum) {
			traverse.TestAppend(t, r, firstfile(t, r, h), []byte("corrupted\n"))
		}},
		{"corrupt file delete", []string{"-q", "--delete"}, []string{"bare-user", "bare-user-only"}, func(t *testing.T, r *repo.Repo, h object.Checksum) {
			traverse.TestAppend(t, r, firstfile(t, r, h), []byte("corrupted\n"))
		}},
		{"archive trailing garbage", nil, []string{"archive"}, func(t *testing.T, r *repo.Repo, h object.Checksum) {
			traverse.TestAppend(t, r, firstfile(t, r, h), []byte("corrupted\n"))
		}},
		{"misnamed all delete", []string{"-a", "--delete"}, []string{"archive", "bare-user-only"}, func(t *testing.T, r *repo.Repo, h object.Checksum) {
			dt := baz(t, r, h)
			a := object.Name{Checksum: dt.Files[0].Checksum, Type: object.TypeFile}
			b := object.Name{Checksum: dt.Files[1].Checksum, Type: object.TypeFile}
			traverse.TestOverwrite(t, r, a, must(os.ReadFile(traverse.TestPath(r, b))))
		}},
		{"missing dirtree", nil, nil, func(t *testing.T, r *repo.Repo, h object.Checksum) {
			dt := baz(t, r, h)
			traverse.TestRemove(t, r, object.Name{Checksum: dt.Dirs[0].Tree, Type: object.TypeDirTree})
		}},
		{"missing dirmeta", nil, nil, func(t *testing.T, r *repo.Repo, h object.Checksum) {
			_, meta := traverse.TestDirName(t, r, h, "baz")
			traverse.TestRemove(t, r, meta)
		}},
		{"empty commit", []string{"-q"}, nil, func(t *testing.T, r *repo.Repo, h object.Checksum) {
			traverse.TestOverwrite(t, r, object.Name{Checksum: h, Type: object.TypeCommit}, nil)
		}},
		{"missing commits", []string{"-q"}, nil, func(t *testing.T, r *repo.Repo, h object.Checksum) {
			traverse.TestRemove(t, r, object.Name{Checksum: h, Type: object.TypeCommit})
		}},
		{"tombstones", []string{"--add-tombstones"}, nil, func(t *testing.T, r *repo.Repo, h object.Checksum) {
			cm, err := r.LoadCommit(context.Background(), h)
			if err != nil {
				t.Fatal(err)
			}
			traverse.TestRemove(t, r, object.Name{Checksum: cm.Parent, Type: object.TypeCommit})
		}},
	}
	for _, mode := range []string{"bare-user", "bare-user-only", "archive"} {
		base := referenceRepo(t, ref, mode)
		for _, tc := range cases {
			if tc.modes != nil && !contains(tc.modes, mode) {
				continue
			}
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				ctx := context.Background()
				theirs, ours := copyRepo(t, base), copyRepo(t, base)
				for _, rp := range []string{theirs, ours} {
					r, err := repo.Open(ctx, rp)
					if err != nil {
						t.Fatal(err)
					}
					head, err := r.ResolveRev(ctx, "test2", false)
					if err != nil {
						t.Fatal(err)
					}
					tc.corrupt(t, r, head)
				}

				cmd := exec.Command(ref, append([]string{"--repo=" + theirs, "fsck"}, tc.args...)...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				refErr := cmd.Run()
				want := sortedLines(stderr.String())

				r, err := repo.Open(ctx, ours)
				if err != nil {
					t.Fatal(err)
				}
				opts := fsck.Options{}
				for _, a := range tc.args {
					switch a {
					case "-a":
						opts.All = true
					case "--delete":
						opts.Delete = true
					case "--add-tombstones":
						opts.AddTombstones = true
					}
				}
				rec := &recorder{}
				_, err = fsck.Run(ctx, r, opts, rec)
				lines := append([]string(nil), rec.problems...)
				if err != nil {
					lines = append(lines, "error: "+err.Error())
				}
				got := sortedLines(strings.Join(lines, "\n"))
				if (refErr == nil) != (err == nil) || got != want {
					t.Errorf("reference (err %v):\n%s\nours (err %v):\n%s", refErr, want, err, got)
				}
				if g, w := stateOf(t, ours), stateOf(t, theirs); g != w {
					t.Errorf("repository state differs:\nreference:\n%s\nours:\n%s", w, g)
				}
			})
		}
	}
}

var commitListRe = regexp.MustCompile(`[Ii]n commits ([0-9a-f, ]+):`)

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sortedLines sorts lines, and the commit lists inside "In commits A,
// B:" and "Object missing in commits A, B:", whose order the reference
// takes from a hash table.
func sortedLines(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l == "" {
			continue
		}
		if m := commitListRe.FindStringSubmatchIndex(l); m != nil {
			list := strings.Split(l[m[2]:m[3]], ", ")
			sort.Strings(list)
			l = l[:m[2]] + strings.Join(list, ", ") + l[m[3]:]
		}
		out = append(out, l)
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// TestReferenceReadsOurDelete checks that after our fsck --delete the
// reference's fsck agrees: no corruption left, only the commits fsck
// marked partial.
func TestReferenceReadsOurDelete(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	for _, mode := range []string{"bare-user", "archive"} {
		t.Run(mode, func(t *testing.T) {
			rp := copyRepo(t, referenceRepo(t, ref, mode))
			r, err := repo.Open(ctx, rp)
			if err != nil {
				t.Fatal(err)
			}
			head, err := r.ResolveRev(ctx, "test2", false)
			if err != nil {
				t.Fatal(err)
			}
			traverse.TestOverwrite(t, r, traverse.TestFileName(t, r, head, "firstfile"), []byte("whoops\n"))
			if _, err := fsck.Run(ctx, r, fsck.Options{Delete: true}, &recorder{}); err == nil {
				t.Fatal("our fsck --delete passed a corrupt repo")
			}
			cmd := exec.Command(ref, "--repo="+rp, "fsck")
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "error: 2 partial commits from fsck-detected corruption") ||
				strings.Contains(string(out), "Corrupted") || strings.Contains(string(out), "missing") {
				t.Errorf("reference fsck after our --delete: %v\n%s", err, out)
			}
		})
	}
}
