package repocmd_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli"
	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/testutil"
)

// integrityRun runs our CLI in-process; integrityRef the reference.
func integrityRun(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, strings.NewReader(""), &out, &errb, func(string) string { return "" })
	return out.String(), errb.String(), code
}

func integrityRef(t *testing.T, ref string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(ref, args...)
	cmd.Args[0] = "ostree"
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	return out.String(), errb.String(), code
}

// integrityRepo makes a reference repository with two commits on main
// and an unreferenced commit.
func integrityRepo(t *testing.T, ref, mode string) string {
	t.Helper()
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	rp := filepath.Join(dir, "repo")
	mustRun := func(args ...string) {
		if o, e, c := integrityRef(t, ref, args...); c != 0 {
			t.Fatalf("reference %v: %s%s", args, o, e)
		}
	}
	mustRun("--repo="+rp, "init", "--mode="+mode)
	if err := os.MkdirAll(filepath.Join(tree, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, content := range []string{"one\n", strings.Repeat("two\n", 500)} {
		if err := os.WriteFile(filepath.Join(tree, "d", "f"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		mustRun("--repo="+rp, "commit", "-b", "main", "--tree=dir="+tree, "--timestamp=@"+string(rune('1'+i))+"00000000")
	}
	if err := os.WriteFile(filepath.Join(tree, "big"), bytes.Repeat([]byte{7}, 3000), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun("--repo="+rp, "commit", "--orphan", "--tree=dir="+tree)
	return rp
}

func cloneRepo(t *testing.T, rp string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "repo")
	if out, err := exec.Command("cp", "-a", rp, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	return dst
}

var progressRe = regexp.MustCompile(`(?m)^fsck objects \(\d+/\d+\) \d+%\n`)

func TestIntegrityCommandsMatchReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	for _, c := range []string{"fsck", "prune", "pull-local", "reset"} {
		t.Run("help "+c, func(t *testing.T) {
			wo, _, wc := integrityRef(t, ref, c, "--help")
			go_, _, gc := integrityRun(c, "--help")
			wo, go_ = clitest.DropExtensionOptions(wo), clitest.DropExtensionOptions(go_)
			if wo != go_ || wc != gc {
				t.Errorf("help differs:\nreference:\n%s\nours:\n%s", wo, go_)
			}
		})
	}
	for _, mode := range []string{"bare-user", "archive"} {
		base := integrityRepo(t, ref, mode)
		for _, tc := range []struct {
			name string
			args []string
		}{
			{"fsck", []string{"fsck"}},
			{"fsck quiet", []string{"fsck", "-q"}},
			{"prune no-prune", []string{"prune", "--no-prune"}},
			{"prune", []string{"prune"}},
			{"prune refs-only", []string{"prune", "--refs-only"}},
			{"prune depth 0", []string{"prune", "--refs-only", "--depth=0"}},
			{"prune commit-only", []string{"prune", "--refs-only", "--depth=0", "--commit-only"}},
			{"prune bad depth", []string{"prune", "--retain-branch-depth=main=BACON"}},
			{"prune static-deltas-only", []string{"prune", "--static-deltas-only"}},
			{"prune delete referenced", []string{"prune", "--delete-commit=main"}},
			{"reset", []string{"reset", "main", "main^"}},
			{"reset unknown ref", []string{"reset", "nosuch", "main"}},
			{"reset usage", []string{"reset", "main"}},
		} {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				theirs, ours := cloneRepo(t, base), cloneRepo(t, base)
				wo, we, wc := integrityRef(t, ref, append([]string{"--repo=" + theirs}, tc.args...)...)
				gout, gerr, gc := integrityRun(append([]string{"--repo=" + ours}, tc.args...)...)
				wo, gout = progressRe.ReplaceAllString(wo, ""), progressRe.ReplaceAllString(gout, "")
				we = strings.ReplaceAll(we, theirs, "REPO")
				gerr = strings.ReplaceAll(gerr, ours, "REPO")
				if wo != gout || we != gerr || wc != gc {
					t.Errorf("reference (exit %d):\n%s%s\nours (exit %d):\n%s%s", wc, wo, we, gc, gout, gerr)
				}
			})
		}
	}
	for _, pair := range [][2]string{{"archive", "bare-user"}, {"bare-user", "archive"}, {"archive", "archive"}} {
		t.Run("pull-local "+pair[0]+"->"+pair[1], func(t *testing.T) {
			src := integrityRepo(t, ref, pair[0])
			for _, args := range [][]string{{}, {"--depth=-1"}, {"--remote=origin", "main"}, {"nosuch"}} {
				var outs [2]string
				for i, run := range []func(...string) (string, string, int){
					func(a ...string) (string, string, int) { return integrityRef(t, ref, a...) },
					integrityRun,
				} {
					dst := filepath.Join(t.TempDir(), "dst")
					if _, e, c := integrityRef(t, ref, "--repo="+dst, "init", "--mode="+pair[1]); c != 0 {
						t.Fatal(e)
					}
					o, e, c := run(append([]string{"--repo=" + dst, "pull-local", src}, args...)...)
					refs, _, _ := integrityRef(t, ref, "--repo="+dst, "refs")
					fo, _, fc := integrityRef(t, ref, "--repo="+dst, "fsck", "-q")
					outs[i] = o + e + string(rune('0'+c)) + "\nrefs:\n" + refs + "fsck: " + progressRe.ReplaceAllString(fo, "") + string(rune('0'+fc))
				}
				if outs[0] != outs[1] {
					t.Errorf("pull-local %v:\nreference:\n%s\nours:\n%s", args, outs[0], outs[1])
				}
			}
		})
	}
}
