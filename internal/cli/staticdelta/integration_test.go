package staticdelta_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/testutil"
)

// newDeltaTestRepo makes, with the reference, an archive repository
// holding two commits of a small tree on branch main: "one", then "two"
// after etc/a changes and edit changes more. clone copies the repository
// (under a name unique in the test) so that each case starts alike.
func newDeltaTestRepo(t *testing.T, ref string, edit func(write func(name, data string))) (rp, from, to string, clone func(name string) string) {
	t.Helper()
	base := t.TempDir()
	tree := filepath.Join(base, "tree")
	write := func(name, data string) {
		p := filepath.Join(tree, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(data), 0o644)
	}
	write("etc/a", "one\n")
	write("usr/bin/tool", strings.Repeat("tool data\n", 3000))
	os.Symlink("a", filepath.Join(tree, "etc/link"))
	rp = filepath.Join(base, "repo")
	clitest.MustRef(t, ref, "init", "--repo="+rp, "--mode=archive")
	from = clitest.MustRef(t, ref, "commit", "--repo="+rp, "-b", "main", "-s", "one", "--tree=dir="+tree)
	write("etc/a", "two\n")
	edit(write)
	to = clitest.MustRef(t, ref, "commit", "--repo="+rp, "-b", "main", "-s", "two", "--tree=dir="+tree)
	clone = func(name string) string {
		p := filepath.Join(base, name)
		if out, err := exec.Command("cp", "-a", rp, p).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v\n%s", err, out)
		}
		return p
	}
	return rp, from, to, clone
}

// TestStaticDeltaCommandsMatchReference runs list, show, indexes,
// reindex, delete and apply-offline on deltas the reference made, and
// compares output and exit status with the reference's.
func TestStaticDeltaCommandsMatchReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	rp, from, to, clone := newDeltaTestRepo(t, ref, func(write func(name, data string)) {
		write("usr/bin/tool", strings.Repeat("tool data\n", 2900)+"more\n")
	})
	clitest.MustRef(t, ref, "static-delta", "generate", "--repo="+rp, "--from="+from, "--to="+to)
	clitest.MustRef(t, ref, "static-delta", "generate", "--repo="+rp, "--empty", "--to="+to)
	clitest.MustRef(t, ref, "static-delta", "generate", "--repo="+rp, "--empty", "--to="+from, "--swap-endianness")
	cases := [][]string{
		{"static-delta", "list"},
		{"static-delta", "show", from + "-" + to},
		{"static-delta", "show", to},
		{"static-delta", "show", from},
		{"static-delta", "show"},
		{"static-delta", "show", "GARBAGE"},
		{"static-delta", "show", strings.Repeat("a", 64)},
		{"static-delta", "show", "nosuch/superblock"},
		{"static-delta", "delete", strings.Repeat("a", 64)},
		{"static-delta", "delete", to},
		{"static-delta", "indexes"},
		{"static-delta", "reindex"},
		{"static-delta", "reindex", "--to=" + to},
		{"static-delta", "apply-offline"},
	}
	for i, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			theirs, ours := rp, rp
			if args[1] == "delete" || args[1] == "reindex" {
				theirs, ours = clone("ref"+string(rune('a'+i))), clone("ours"+string(rune('a'+i)))
			}
			wantOut, wantErr, wantCode := clitest.RunRef(t, ref, append(args, "--repo="+theirs)...)
			gotOut, gotErr, gotCode := clitest.RunOurs(t, nil, append(args, "--repo="+ours)...)
			if gotCode != wantCode {
				t.Errorf("exit %d, want %d (stderr %q, want %q)", gotCode, wantCode, gotErr, wantErr)
			}
			if args[1] == "list" || args[1] == "indexes" {
				wantOut, gotOut = clitest.SortLines(wantOut), clitest.SortLines(gotOut)
			}
			if diff := cmp.Diff(wantOut, gotOut); diff != "" {
				t.Errorf("stdout (-reference +ours):\n%s", diff)
			}
			if clitest.LastLine(gotErr) != clitest.LastLine(wantErr) {
				t.Errorf("stderr %q, want %q", clitest.LastLine(gotErr), clitest.LastLine(wantErr))
			}
			// The repositories must end up alike: same deltas and indexes.
			for _, cmd := range [][]string{{"static-delta", "list"}, {"static-delta", "indexes"}} {
				a, _, _ := clitest.RunRef(t, ref, append(cmd, "--repo="+theirs)...)
				b, _, _ := clitest.RunRef(t, ref, append(cmd, "--repo="+ours)...)
				if clitest.SortLines(a) != clitest.SortLines(b) {
					t.Errorf("after the command, %v: reference %q, ours %q", cmd, a, b)
				}
			}
		})
	}

	// apply-offline into a bare-user repository holding FROM.
	for _, d := range []string{from + "-" + to, to} {
		t.Run("apply-offline "+d, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "dst")
			clitest.MustRef(t, ref, "init", "--repo="+dst, "--mode=bare-user")
			clitest.MustRef(t, ref, "pull-local", "--repo="+dst, rp, from)
			dir := filepath.Join(rp, "deltas")
			var sbPath string
			filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
				if err == nil && fi.Name() == "superblock" {
					if out, _, _ := clitest.RunOurs(t, nil, "static-delta", "show", "--repo="+rp, p); strings.Contains(out, "Delta: "+p) && strings.Contains(out, "To: "+to) &&
						strings.Contains(out, map[bool]string{true: "From: " + from, false: "From <scratch>"}[strings.Contains(d, "-")]) {
						sbPath = p
					}
				}
				return nil
			})
			if sbPath == "" {
				t.Fatal("delta not found")
			}
			if out, errs, code := clitest.RunOurs(t, nil, "static-delta", "apply-offline", "--repo="+dst, filepath.Dir(sbPath)); code != 0 {
				t.Fatalf("apply-offline: %d %s %s", code, out, errs)
			}
			clitest.MustRef(t, ref, "fsck", "--repo="+dst)
			clitest.MustRef(t, ref, "ls", "--repo="+dst, "-R", to)
		})
	}
}
