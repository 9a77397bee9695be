package repocmd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/cli/repocmd"
	"github.com/gostree/gostree/internal/testutil"
)

// TestPullCLIMatchesReference pulls the same repository with the
// reference and with us and compares what both print and store.
func TestPullCLIMatchesReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	// The reference is 2022.7, which counts absent detached metadata.
	compat := map[string]string{clikit.CompatEnv: "2022.7"}
	ctx := context.Background()
	status := regexp.MustCompile(`^(\d+ metadata, \d+ content objects fetched); \d+ (B|KiB) transferred in \d+ seconds; (.*) content written\n$`)
	for _, summary := range []bool{false, true} {
		src, url := clitest.RefServe(t, ref, summary)
		want := clitest.MustRef(t, ref, "rev-parse", "--repo="+src, "main")
		parent := clitest.MustRef(t, ref, "rev-parse", "--repo="+src, "main^")
		for _, tc := range []struct {
			name string
			args []string
			rev  string // what origin:main must name afterwards
		}{
			{"plain", []string{"origin", "main"}, want},
			{"depth", []string{"--depth=-1", "origin", "main"}, want},
			{"refspec", []string{"origin:main"}, want},
			{"pinned", []string{"origin", "main@" + parent}, parent},
			{"commit only", []string{"--commit-metadata-only", "origin", "main"}, want},
			{"subpath", []string{"--subpath=/baz", "origin", "main"}, want},
		} {
			t.Run(fmt.Sprintf("summary=%v/%s", summary, tc.name), func(t *testing.T) {
				d := t.TempDir()
				refRepo, ourRepo := filepath.Join(d, "ref"), filepath.Join(d, "ours")
				for _, r := range []string{refRepo, ourRepo} {
					clitest.MustRef(t, ref, "init", "--repo="+r, "--mode=archive")
					clitest.MustRef(t, ref, "remote", "add", "--repo="+r, "--set=gpg-verify=false", "origin", url)
				}
				rout, rerr, rcode := clitest.RunRef(t, ref, append([]string{"pull", "--repo=" + refRepo}, tc.args...)...)
				out, errs, code := clitest.RunSetup(ctx, repocmd.Pull, compat, append([]string{"--repo=" + ourRepo}, tc.args...)...)
				if code != 0 || rcode != 0 {
					t.Fatalf("exit %d (%s), reference %d (%s)", code, errs, rcode, rerr)
				}
				rm, m := status.FindStringSubmatch(rout), status.FindStringSubmatch(out)
				if rm == nil || m == nil {
					t.Fatalf("status %q, reference %q", out, rout)
				}
				if m[1] != rm[1] || m[3] != rm[3] {
					t.Errorf("status %q, reference %q", out, rout)
				}
				if got := clitest.MustRef(t, ref, "rev-parse", "--repo="+ourRepo, "origin:main"); got != tc.rev {
					t.Errorf("origin:main = %s, want %s", got, tc.rev)
				}
				a, _ := os.ReadDir(filepath.Join(refRepo, "state"))
				b, _ := os.ReadDir(filepath.Join(ourRepo, "state"))
				if len(a) != len(b) {
					t.Errorf("%d commitpartial files, reference %d", len(b), len(a))
				}
				clitest.MustRef(t, ref, "fsck", "--repo="+ourRepo)
			})
		}
	}
}

func TestPullCLIErrors(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	_, url := clitest.RefServe(t, ref, false)
	d := t.TempDir()
	refRepo, ourRepo := filepath.Join(d, "ref"), filepath.Join(d, "ours")
	for _, r := range []string{refRepo, ourRepo} {
		clitest.MustRef(t, ref, "init", "--repo="+r, "--mode=archive")
		clitest.MustRef(t, ref, "remote", "add", "--repo="+r, "--set=gpg-verify=false", "origin", url)
		clitest.MustRef(t, ref, "remote", "add", "--repo="+r, "signed", url)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no remote", nil},
		{"unknown remote", []string{"nosuch", "main"}},
		{"no branches", []string{"origin"}},
		{"mirror without summary", []string{"--mirror", "origin"}},
		{"bad override", []string{"origin", "main@abc"}},
		{"dry run", []string{"--dry-run", "origin", "main"}},
		{"header", []string{"--http-header=novalue", "origin", "main"}},
		{"unsigned", []string{"signed", "main"}},
		{"archive deltas", []string{"--require-static-deltas", "origin", "main"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rerr, rcode := clitest.RunRef(t, ref, append([]string{"pull", "--repo=" + refRepo}, tc.args...)...)
			_, errs, code := clitest.RunSetup(ctx, repocmd.Pull, nil, append([]string{"--repo=" + ourRepo}, tc.args...)...)
			if code != rcode {
				t.Fatalf("exit %d (%s), reference %d (%s)", code, errs, rcode, rerr)
			}
			if !strings.HasPrefix(errs, "error: ") {
				t.Fatalf("stderr %q", errs)
			}
			// The reference prints usage before some errors; compare the
			// error lines.
			last := func(s string) string {
				lines := strings.Split(strings.TrimSpace(s), "\n")
				return lines[len(lines)-1]
			}
			if last(errs) != last(rerr) {
				t.Errorf("stderr %q, reference %q", last(errs), last(rerr))
			}
		})
	}
}
