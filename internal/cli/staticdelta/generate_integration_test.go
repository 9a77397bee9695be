package staticdelta_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/testutil"
)

// TestStaticDeltaGenerateMatchesReference runs the same generate command
// lines with the reference and with us, each on its own copy of a
// repository, and compares stdout, error messages, exit status and the
// plan lines of the report (what is new, what was paired).
func TestStaticDeltaGenerateMatchesReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	rp, from, to, clone := newDeltaTestRepo(t, ref, func(write func(name, data string)) {
		write("usr/bin/tool", "header\n"+strings.Repeat("tool data\n", 3000))
		write("usr/bin/new", "new\n")
	})
	clitest.MustRef(t, ref, "static-delta", "generate", "--repo="+rp, "--empty", "--to="+from)

	// planLines keeps the report lines that depend only on the trees.
	planLines := func(stderr string) string {
		var keep []string
		for _, l := range strings.Split(stderr, "\n") {
			if strings.HasPrefix(l, "modified:") || strings.HasPrefix(l, "new reachable:") || strings.HasPrefix(l, "error:") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	cases := [][]string{
		{"main"},
		{"--from=" + from, "--to=" + to},
		{"--empty", "--to=main"},
		{"--if-not-exists", "--empty", "--to=" + from},
		{"-n", "--from=" + from, "--to=" + to, "--inline", "--disable-bsdiff"},
		{"--from=" + from, "--to=" + to, "--max-bsdiff-size=0", "--min-fallback-size=0", "--max-chunk-size=1"},
		{"--from=" + from, "--to=" + to, "--set-endianness=B", "--swap-endianness"},
		{},
		{"--empty", "--from=" + from, "--to=" + to},
		{"--set-endianness=x", "main"},
		{"--from=nosuchref", "main"},
		{"nosuchref"},
	}
	for i, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			theirs, ours := clone("ref"+string(rune('a'+i))), clone("ours"+string(rune('a'+i)))
			full := append([]string{"static-delta", "generate"}, args...)
			wantOut, wantErr, wantCode := clitest.RunRef(t, ref, append(full, "--repo="+theirs)...)
			gotOut, gotErr, gotCode := clitest.RunOurs(t, nil, append(full, "--repo="+ours)...)
			if gotCode != wantCode {
				t.Fatalf("exit %d, want %d (stderr %q, want %q)", gotCode, wantCode, gotErr, wantErr)
			}
			if diff := cmp.Diff(wantOut, gotOut); diff != "" {
				t.Errorf("stdout (-reference +ours):\n%s", diff)
			}
			if diff := cmp.Diff(planLines(wantErr), planLines(gotErr)); diff != "" {
				t.Errorf("stderr (-reference +ours):\n%s", diff)
			}
			if wantCode != 0 {
				return
			}
			// The reference reads our delta.
			list := clitest.MustRef(t, ref, "static-delta", "list", "--repo="+ours)
			if want := clitest.MustRef(t, ref, "static-delta", "list", "--repo="+theirs); clitest.SortLines(list) != clitest.SortLines(want) {
				t.Errorf("deltas %q, want %q", list, want)
			}
		})
	}
}
