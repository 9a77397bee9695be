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

// TestMetadataCommandsMatchReference runs show, log, refs, rev-parse,
// summary and remote against repositories the reference made, and
// expects the reference's stdout, stderr and exit status.
func TestMetadataCommandsMatchReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	tree := filepath.Join(dir, "tree")
	os.MkdirAll(filepath.Join(tree, "d"), 0o755)
	os.WriteFile(filepath.Join(tree, "d", "f"), []byte("hello\n"), 0o644)
	os.Symlink("d/f", filepath.Join(tree, "link"))
	clitest.MustRef(t, ref, "init", "--repo="+repo, "--mode=archive")
	clitest.MustRef(t, ref, "--repo="+repo, "commit", "-b", "main", "--generate-sizes", "-s", "first", "-m", "body\nline two", tree)
	clitest.MustRef(t, ref, "--repo="+repo, "commit", "-b", "main", "--generate-sizes", "-s", "", "--add-metadata-string=version=2.0",
		"--add-metadata=num=uint64 42", "--add-detached-metadata-string=SIG=HANCOCK", tree)
	c3 := clitest.MustRef(t, ref, "--repo="+repo, "commit", "-b", "main", "-s", "third\n\nsubject with lines", tree)
	clitest.MustRef(t, ref, "--repo="+repo, "refs", "main", "--create=other/branch")
	clitest.MustRef(t, ref, "--repo="+repo, "refs", "-A", "main", "--create=alias/main")
	clitest.MustRef(t, ref, "--repo="+repo, "refs", "main", "--create=origin:remote/ref")
	clitest.MustRef(t, ref, "--repo="+repo, "remote", "add", "--no-gpg-verify", "origin", "http://example.com/repo")
	clitest.MustRef(t, ref, "--repo="+repo, "summary", "-u", "-m", "expires=@t 1234")
	trunc := filepath.Join(dir, "trunc")
	clitest.MustRef(t, ref, "init", "--repo="+trunc, "--mode=bare-user")
	clitest.MustRef(t, ref, "--repo="+trunc, "pull-local", "--depth=1", repo, "main")

	file := strings.Fields(clitest.MustRef(t, ref, "--repo="+repo, "ls", "-C", "main", "/d/f"))[4]
	cases := []struct {
		args    []string
		sorted  bool // output in hash order
		mutates bool // run each implementation on its own copy
	}{
		{args: []string{"show", "main"}},
		{args: []string{"show", "main^"}},
		{args: []string{"show", "main^^"}},
		{args: []string{"show", c3[:10]}},
		{args: []string{"show", "--raw", "main"}},
		{args: []string{"show", "-B", "main^"}},
		{args: []string{"show", "--print-metadata-key=num", "main^"}},
		{args: []string{"show", "-B", "--print-metadata-key=num", "main^"}},
		{args: []string{"show", "--print-metadata-key=version", "main^"}},
		{args: []string{"show", "--print-metadata-key=nope", "main"}},
		{args: []string{"show", "--print-detached-metadata-key=SIG", "main^"}},
		{args: []string{"show", "--print-detached-metadata-key=SIG", "main"}},
		{args: []string{"show", "--print-sizes", "main^"}},
		{args: []string{"show", "--print-sizes", "main"}},
		{args: []string{"show", "--print-related", "main"}},
		{args: []string{"show", file}},
		{args: []string{"show", "nosuch"}},
		{args: []string{"show"}},
		{args: []string{"log", "main"}},
		{args: []string{"log", "--raw", "main"}},
		{args: []string{"log", "alias/main"}},
		{args: []string{"log", "nosuch"}},
		{args: []string{"rev-parse", "main", "main^", "origin:remote/ref", "remote/ref", c3[:8]}},
		{args: []string{"rev-parse", "main^^^"}},
		{args: []string{"refs"}, sorted: true},
		{args: []string{"refs", "other"}, sorted: true},
		{args: []string{"refs", "--list", "other"}, sorted: true},
		{args: []string{"refs", "origin:"}, sorted: true},
		{args: []string{"refs", "-A"}, sorted: true},
		{args: []string{"refs", "--create=x"}, mutates: true},
		{args: []string{"refs", "main", "--create=other/branch"}, mutates: true},
		{args: []string{"refs", "main", "--create=other"}, mutates: true},
		{args: []string{"refs", "--delete"}},
		{args: []string{"refs", "--delete", "main"}, mutates: true},
		{args: []string{"summary", "--view"}},
		{args: []string{"summary", "--raw"}},
		{args: []string{"summary"}},
		{args: []string{"remote", "list", "-u"}},
		{args: []string{"remote", "show-url", "origin"}},
		{args: []string{"remote", "show-url", "nope"}},
		{args: []string{"config", "get", "core.mode"}},
		{args: []string{"config", "get", "core.nope"}},
		{args: []string{"config", "get", "nope.x"}},
		{args: []string{"config", "get", "--group=remote \"origin\"", "url"}},
		{args: []string{"config", "set", "core.x", "a b\\c"}, mutates: true},
		{args: []string{"config", "unset", "core.mode"}, mutates: true},
		{args: []string{"config", "set", "--group=remote \"origin\"", "url", "http://other/"}, mutates: true},
		{args: []string{"remote", "add", "--no-gpg-verify", "--set=a=b", "new", "http://n/", "br1"}, mutates: true},
		{args: []string{"remote", "add", "origin", "http://n/"}, mutates: true},
		{args: []string{"remote", "add", "--force", "origin", "http://n/"}, mutates: true},
		{args: []string{"remote", "delete", "origin"}, mutates: true},
		{args: []string{"remote", "delete", "--if-exists", "nope"}, mutates: true},
		{args: []string{"refs", "--delete", "other"}, mutates: true},
		{args: []string{"refs", "-A", "other/branch", "--create=alias/main"}, mutates: true},
		{args: []string{"refs", "-c", "--create=org.example.X:m", "main"}, mutates: true},
	}
	for _, r := range []string{repo, trunc} {
		for _, tc := range cases {
			name := filepath.Base(r) + " " + strings.Join(tc.args, " ")
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				rr, ro := r, r
				if tc.mutates {
					rr, ro = filepath.Join(t.TempDir(), "r"), filepath.Join(t.TempDir(), "r")
					copyTree(t, r, rr)
					copyTree(t, r, ro)
				}
				wo, we, wc := clitest.RunRef(t, ref, append([]string{"--repo=" + rr}, tc.args...)...)
				o, e, c := clitest.RunOurs(t, nil, append([]string{"--repo=" + ro}, tc.args...)...)
				o, e = clitest.DropExtensionOptions(o), clitest.DropExtensionOptions(e)
				wo, we = clitest.DropExtensionOptions(wo), clitest.DropExtensionOptions(we)
				wo, we = strings.ReplaceAll(wo, rr, ro), strings.ReplaceAll(we, rr, ro)
				if tc.sorted {
					wo, o = clitest.SortLines(wo), clitest.SortLines(o)
				}
				if diff := cmp.Diff(wo, o); diff != "" {
					t.Errorf("stdout (-reference +ours):\n%s", diff)
				}
				if diff := cmp.Diff(we, e); diff != "" {
					t.Errorf("stderr (-reference +ours):\n%s", diff)
				}
				if wc != c {
					t.Errorf("exit %d, reference %d", c, wc)
				}
				if tc.mutates {
					wcfg, _ := os.ReadFile(filepath.Join(rr, "config"))
					gcfg, _ := os.ReadFile(filepath.Join(ro, "config"))
					if diff := cmp.Diff(string(wcfg), string(gcfg)); diff != "" {
						t.Errorf("config (-reference +ours):\n%s", diff)
					}
					if diff := cmp.Diff(refsTree(t, rr), refsTree(t, ro)); diff != "" {
						t.Errorf("refs (-reference +ours):\n%s", diff)
					}
				}
			})
		}
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
}

// refsTree maps each file under refs/ to its content or symlink target.
func refsTree(t *testing.T, repo string) map[string]string {
	t.Helper()
	out := map[string]string{}
	root := filepath.Join(repo, "refs")
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "-> " + target
		case fi.IsDir():
			out[rel+"/"] = ""
		default:
			b, _ := os.ReadFile(p)
			out[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
