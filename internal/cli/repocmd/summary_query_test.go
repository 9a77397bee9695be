package repocmd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli/clitest"
)

// The expected outputs are libostree 2025.2's for the same commands.
func TestSummaryMetadataKeys(t *testing.T) {
	dir := t.TempDir()
	repoPath := filepath.Join(dir, "repo")
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	must := func(args ...string) string {
		t.Helper()
		out, errs, code := clitest.RunOurs(t, nil, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		return out
	}
	must("init", "--repo="+repoPath, "--mode=archive")
	must("commit", "--repo="+repoPath, "-b", "m", "--tree=dir="+tree)
	must("summary", "--repo="+repoPath, "-u", `-m`, `foo="bar"`, "-m", "n=uint32 5", "-m", "b=@ay [1,2]")
	clientPath := filepath.Join(dir, "client")
	must("init", "--repo="+clientPath, "--mode=archive")
	must("remote", "--repo="+clientPath, "add", "--no-gpg-verify", "o", "file://"+repoPath)

	keys := "b\nfoo\nn\nostree.summary.indexed-deltas\nostree.summary.last-modified\nostree.summary.mode\nostree.summary.tombstone-commits\n"
	for _, base := range [][]string{{"summary", "--repo=" + repoPath}, {"remote", "--repo=" + clientPath, "summary", "o"}} {
		for _, tc := range []struct {
			args    []string
			out     string
			errText string
		}{
			{[]string{"--list-metadata-keys"}, keys, ""},
			{[]string{"--print-metadata-key=ostree.summary.mode"}, "'archive-z2'\n", ""},
			// Numbers print byteswapped, as `show` prints them without -B.
			{[]string{"--print-metadata-key=n"}, "uint32 83886080\n", ""},
			{[]string{"--print-metadata-key=b"}, "[byte 0x01, 0x02]\n", ""},
			{[]string{"--print-metadata-key=foo", "--list-metadata-keys"}, keys, ""},
			{[]string{"--print-metadata-key=nope"}, "", "error: No such metadata key 'nope'\n"},
		} {
			out, errs, code := clitest.RunOurs(t, nil, append(append([]string{}, base...), tc.args...)...)
			if out != tc.out || errs != tc.errText || (code != 0) != (tc.errText != "") {
				t.Errorf("%v %v: exit %d, stdout %q, stderr %q; want %q, %q", base[0], tc.args, code, out, errs, tc.out, tc.errText)
			}
		}
	}
	if _, errs, _ := clitest.RunOurs(t, nil, "summary", "--repo="+clientPath, "--list-metadata-keys"); !strings.Contains(errs, "openat(summary): No such file or directory") {
		t.Errorf("no summary: %q", errs)
	}
}
