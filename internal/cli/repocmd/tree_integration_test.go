package repocmd_test

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

// TestTreeCommandsMatchReference runs ls, cat, diff, export and checkout
// against repositories the reference made, in every mode, and expects
// the reference's exact stdout, error message and exit status.
func TestTreeCommandsMatchReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	base := t.TempDir()
	src := filepath.Join(base, "src")
	for p, data := range map[string]string{
		"firstfile": "first\n", "baz/cow": "moo\n", "baz/cowro": "mooro\n", "baz/saucer": "alien\n",
		"baz/deeper/ohyeah": "hi\n", "baz/deeper/ohyeahx": "hix\n", "baz/another/y": "x\n", "empty": "",
	} {
		os.MkdirAll(filepath.Join(src, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(src, p), []byte(data), 0o644)
	}
	os.Chmod(filepath.Join(src, "baz/cowro"), 0o600)
	os.Chmod(filepath.Join(src, "baz/deeper/ohyeahx"), 0o755)
	os.Symlink("nosuchfile", filepath.Join(src, "somelink"))
	os.Symlink("baz/cow", filepath.Join(src, "cowlink"))
	os.Symlink("/baz", filepath.Join(src, "dirlink"))
	exec.Command("setfattr", "-n", "user.foo", "-v", "bar", filepath.Join(src, "baz/cow")).Run()
	src2 := filepath.Join(base, "src2")
	if out, err := exec.Command("cp", "-a", src, src2).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	os.Remove(filepath.Join(src2, "firstfile"))
	os.WriteFile(filepath.Join(src2, "baz/cow"), []byte("changed\n"), 0o644)
	os.MkdirAll(filepath.Join(src2, "new/dir"), 0o755)
	os.WriteFile(filepath.Join(src2, "new/dir/f"), []byte("f"), 0o644)

	for _, mode := range []string{"bare", "bare-user", "bare-user-only", "archive"} {
		t.Run(mode, func(t *testing.T) {
			d := t.TempDir()
			rp := filepath.Join(d, "repo")
			extra := []string{}
			if mode == "bare-user-only" {
				extra = []string{"--canonical-permissions", "--no-xattrs"}
			}
			clitest.MustRef(t, ref, "init", "--repo="+rp, "--mode="+mode)
			clitest.MustRef(t, ref, append([]string{"commit", "--repo=" + rp, "-b", "t", "-s", "one", "--tree=dir=" + src}, extra...)...)
			clitest.MustRef(t, ref, append([]string{"commit", "--repo=" + rp, "-b", "t", "-s", "two", "--tree=dir=" + src2}, extra...)...)
			co := filepath.Join(d, "co")
			clitest.MustRef(t, ref, "checkout", "--repo="+rp, "-U", "t", co)
			os.WriteFile(filepath.Join(co, "added"), []byte("a"), 0o644)
			t.Chdir(d)
			for _, args := range [][]string{
				{"ls", "t"},
				{"ls", "-R", "t"},
				{"ls", "-R", "-C", "-X", "t"},
				{"ls", "-d", "t", "/baz", "/baz/cow"},
				{"ls", "--nul-filenames-only", "-R", "t"},
				{"ls", "t", "/baz/cow/notadir"},
				{"ls", "t", "/baz/"},
				{"ls", "t", "//baz", "baz//cow", "/nope"},
				{"ls", "t^", "/"},
				{"ls", "nosuchref"},
				{"ls"},
				{"cat", "t", "/baz/cow", "/baz/saucer"},
				{"cat", "t", "/cowlink"},
				{"cat", "t", "/somelink"},
				{"cat", "t", "/baz"},
				{"cat", "t", "/dirlink"},
				{"cat", "t"},
				{"diff", "t^", "t"},
				{"diff", "t"},
				{"diff", "t", "./co"},
				{"diff", "./co", "t"},
				{"diff", "--no-xattrs", "t", "./co"},
				{"diff", "--owner-uid=4242", "t", "./co"},
				{"diff", "--stats", "t^", "t"},
				{"diff", "t", "./nosuchdir"},
				{"diff"},
				{"export", "t", "--subpath=baz", "--prefix=p/"},
				{"export", "t", "--subpath=/nope"},
				{"checkout", "t", "co"},
				{"checkout", "--subpath=/nope", "t", "x"},
				{"checkout", "--union", "--union-add", "t", "x"},
				{"checkout", "--union-identical", "t", "x"},
				{"checkout", "-H", "-C", "t", "x"},
				{"checkout", "--fsync=maybe", "t", "x"},
				{"checkout"},
			} {
				t.Run(strings.Join(args, " "), func(t *testing.T) {
					full := append([]string{args[0], "--repo=" + rp}, args[1:]...)
					rout, rerr, rcode := clitest.RunRef(t, ref, full...)
					out, errs, code := clitest.RunOurs(t, nil, full...)
					if code != rcode {
						t.Fatalf("exit %d, reference %d\nours: %s\nreference: %s", code, rcode, errs, rerr)
					}
					if diff := cmp.Diff(rout, out); diff != "" {
						t.Errorf("stdout (-reference +ours):\n%s", diff)
					}
					if clitest.LastLine(errs) != clitest.LastLine(rerr) {
						t.Errorf("stderr %q, reference %q", clitest.LastLine(errs), clitest.LastLine(rerr))
					}
				})
			}
		})
	}
}
