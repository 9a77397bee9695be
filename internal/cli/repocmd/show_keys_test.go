package repocmd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli/clitest"
)

// The outputs below are libostree 2025.2's for the same commands (it has
// these options; 2022.7 has not, so they are not compared live).
func TestShowMetadataKeyListingAndHex(t *testing.T) {
	dir := t.TempDir()
	repoArg := "--repo=" + filepath.Join(dir, "repo")
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "a"), []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustOurs := func(args ...string) string {
		t.Helper()
		out, errs, code := clitest.RunOurs(t, nil, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		return out
	}
	mustOurs("init", repoArg, "--mode=archive")
	mustOurs("commit", repoArg, "-b", "m", "--tree=dir="+tree, "--add-metadata-string=Z=1", "--add-metadata-string=A=2",
		"--add-metadata=B=@ay [1,2,255]", "--add-detached-metadata-string=SIGNATURE=HANCOCK")
	mustOurs("commit", repoArg, "-b", "bare", "--tree=dir="+tree)

	tests := []struct {
		args    []string
		out     string
		errText string
	}{
		// Sorted, not in the order stored.
		{[]string{"--list-metadata-keys", "m"}, "A\nB\nZ\nostree.ref-binding\n", ""},
		{[]string{"--list-detached-metadata-keys", "m"}, "SIGNATURE\n", ""},
		// The detached listing wins over the other; printing a key wins
		// over both.
		{[]string{"--list-metadata-keys", "--list-detached-metadata-keys", "m"}, "SIGNATURE\n", ""},
		{[]string{"--list-detached-metadata-keys", "--print-metadata-key=A", "m"}, "'2'\n", ""},
		{[]string{"--print-hex", "--print-metadata-key=B", "m"}, "0102ff\n", ""},
		{[]string{"--print-metadata-key=B", "m"}, "[byte 0x01, 0x02, 0xff]\n", ""},
		// --print-hex only changes byte arrays.
		{[]string{"--print-hex", "--print-metadata-key=Z", "m"}, "'1'\n", ""},
		{[]string{"--list-detached-metadata-keys", "bare"}, "", "No detached metadata for commit "},
	}
	for _, tc := range tests {
		args := append([]string{"show", repoArg}, tc.args...)
		out, errs, code := clitest.RunOurs(t, nil, args...)
		if out != tc.out {
			t.Errorf("%v: stdout %q, want %q", tc.args, out, tc.out)
		}
		if (code != 0) != (tc.errText != "") || (tc.errText != "" && !strings.Contains(errs, tc.errText)) {
			t.Errorf("%v: exit %d, stderr %q, want error %q", tc.args, code, errs, tc.errText)
		}
	}
}
