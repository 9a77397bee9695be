package remotecmd_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/cli/remotecmd"
	"github.com/gostree/gostree/internal/cli/repocmd"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/sign"
	"github.com/gostree/gostree/internal/testutil"
)

func TestGpgSignCommand(t *testing.T) {
	rp, c := clitest.GPGTestRepo(t)
	home := clitest.GPGCopyKeys(t)
	env := map[string]string{"OSTREE_GPG_HOME": filepath.Join(home, "trusted")}
	sigCount := func() int {
		r, err := repo.Open(context.Background(), rp)
		if err != nil {
			t.Fatal(err)
		}
		md, err := r.LoadDetachedMetadata(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := sign.Signatures(md)
		return len(s)
	}
	steps := []struct {
		args    []string
		out     string
		errText string
		sigs    int
	}{
		{[]string{"--repo=" + rp}, "", "usage: error: Need a COMMIT to sign\n", 0},
		{[]string{"--repo=" + rp, "t"}, "", "usage: error: Need at least one GPG KEY-ID to sign with\n", 0},
		{[]string{"--repo=" + rp, "--gpg-homedir=" + home, "t", "DEADBEEF"}, "", "error: No gpg key found with ID DEADBEEF (homedir: " + home + ")\n", 0},
		{[]string{"--repo=" + rp, "--gpg-homedir=" + home, "nosuchref", "7FCA23D8472CDAFA"}, "", "error: Refspec 'nosuchref' not found\n", 0},
		{[]string{"--repo=" + rp, "--gpg-homedir=" + home, "t", "7FCA23D8472CDAFA"}, "", "", 1},
		{[]string{"--repo=" + rp, "--gpg-homedir=" + home, "t", "472CDAFA"}, "", "error: Commit is already signed with GPG key 472CDAFA\n", 1},
		{[]string{"--repo=" + rp, "--gpg-homedir=" + home, c.String(), "D8228CFECA950D41", "0D15FAE7DF444D67"}, "", "", 3},
		{[]string{"--repo=" + rp, "--delete", "t", "D8228CFECA950D41"}, "Signatures deleted: 1\n", "", 2},
		{[]string{"--repo=" + rp, "-d", "t", "7FCA23D8472CDAFA", "D8228CFECA950D41", "0D15FAE7DF444D67"}, "Signatures deleted: 2\n", "", 0},
		{[]string{"--repo=" + rp, "-d", "t", "7FCA23D8472CDAFA"}, "Signatures deleted: 0\n", "", 0},
	}
	for _, st := range steps {
		out, errs, _ := clitest.GPGRun(t, repocmd.GpgSign, env, "", st.args...)
		if out != st.out || errs != st.errText {
			t.Errorf("gpg-sign %v:\nstdout %q, want %q\nstderr %q, want %q", st.args, out, st.out, errs, st.errText)
		}
		if n := sigCount(); n != st.sigs {
			t.Errorf("gpg-sign %v: %d signatures, want %d", st.args, n, st.sigs)
		}
	}
}

func TestRemoteGpgCommands(t *testing.T) {
	old := time.Local
	time.Local = time.UTC
	defer func() { time.Local = old }()
	rp, _ := clitest.GPGTestRepo(t)
	home := clitest.GPGCopyKeys(t)
	key1 := filepath.Join(home, "key1.asc")
	env := map[string]string{"OSTREE_GPG_HOME": t.TempDir()}
	steps := []struct {
		setup   func(*clikit.Invocation) func([]string) error
		stdin   string
		args    []string
		out     string
		errText string
	}{
		{remotecmd.SetupRemoteGpgListKeys, "", []string{"--repo=" + rp, "R1"}, "", ""},
		{remotecmd.SetupRemoteGpgImport, "", []string{"--repo=" + rp}, "", "usage: error: NAME must be specified\n"},
		{remotecmd.SetupRemoteGpgImport, "", []string{"--repo=" + rp, "-k", key1, "--stdin", "R1"}, "", "usage: error: --keyring and --stdin are mutually exclusive\n"},
		{remotecmd.SetupRemoteGpgImport, "", []string{"--repo=" + rp, "-k", "/nonexistent", "R1"}, "", "error: Error opening file /nonexistent: No such file or directory\n"},
		{remotecmd.SetupRemoteGpgImport, "", []string{"--repo=" + rp, "-k", key1, "NOPE"}, "", "error: GPG: Remote \"NOPE\" not found\n"},
		{remotecmd.SetupRemoteGpgImport, "", []string{"--repo=" + rp, "-k", key1, "R1", "DEADBEEF"}, "", "error: GPG: Unable to find key \"DEADBEEF\": GPGME: End of file\n"},
		{remotecmd.SetupRemoteGpgImport, "", []string{"--repo=" + rp, "R1"}, "", "error: GPG: Unable to export keys: GPGME: No data\n"},
		{remotecmd.SetupRemoteGpgImport, "", []string{"--repo=" + rp, "--keyring", key1, "R1"}, "Imported 1 GPG key to remote \"R1\"\n", ""},
		{remotecmd.SetupRemoteGpgImport, "", []string{"--repo=" + rp, "--keyring", key1, "-k", filepath.Join(home, "pubring.gpg"), "R1"}, "Imported 2 GPG keys to remote \"R1\"\n", ""},
		{remotecmd.SetupRemoteGpgImport, string(clitest.GPGReadFile(t, filepath.Join(home, "key3.asc"))), []string{"--repo=" + rp, "--stdin", "R1"}, "Imported 0 GPG keys to remote \"R1\"\n", ""},
		{remotecmd.SetupRemoteGpgListKeys, "", []string{"--repo=" + rp, "NOPE"}, "", "error: Remote \"NOPE\" not found\n"},
		{remotecmd.SetupRemoteGpgListKeys, "", []string{"--repo=" + rp}, "", ""},
	}
	for _, st := range steps {
		out, errs, _ := clitest.GPGRun(t, st.setup, env, st.stdin, st.args...)
		if out != st.out || errs != st.errText {
			t.Errorf("%v:\nstdout %q, want %q\nstderr %q, want %q", st.args, out, st.out, errs, st.errText)
		}
	}
	out, _, code := clitest.GPGRun(t, remotecmd.SetupRemoteGpgListKeys, env, "", "--repo="+rp, "R1")
	if code != 0 || strings.Count(out, "\nKey: ")+1 != 3 || !strings.HasPrefix(out, "Key: 5E65DE75AB1C501862D476347FCA23D8472CDAFA\n  Created: Tue Sep 10 02:29:42 2013\n") {
		t.Errorf("gpg-list-keys R1:\n%s", out)
	}
	env["OSTREE_GPG_HOME"] = filepath.Join(home, "trusted")
	global, _, _ := clitest.GPGRun(t, remotecmd.SetupRemoteGpgListKeys, env, "", "--repo="+rp)
	if global != out {
		t.Errorf("global listing differs from R1's:\n%s", global)
	}
}

// TestGpgCommandsMatchReference compares show's signature block, the key
// listing and the verification errors with the reference's.
func TestGpgCommandsMatchReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	old := time.Local
	time.Local = time.UTC
	defer func() { time.Local = old }()
	rp, c := clitest.GPGTestRepo(t)
	home := clitest.GPGCopyKeys(t)
	runRef := func(args ...string) string {
		cmd := exec.Command(ref, args...)
		cmd.Env = []string{"TZ=UTC", "PATH=" + os.Getenv("PATH"), "OSTREE_GPG_HOME=" + filepath.Join(home, "trusted")}
		// Ours runs in this process: the reference gets its locale, which
		// decides how a one-digit day is padded in signature dates.
		for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
			if v, ok := os.LookupEnv(k); ok {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
		}
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	env := map[string]string{"OSTREE_GPG_HOME": filepath.Join(home, "trusted")}
	if _, errs, code := clitest.GPGRun(t, repocmd.GpgSign, env, "", "--repo="+rp, "--gpg-homedir="+home, "t", "7FCA23D8472CDAFA", "0D15FAE7DF444D67"); code != 0 {
		t.Fatal(errs)
	}
	if _, errs, code := clitest.GPGRun(t, remotecmd.SetupRemoteGpgImport, env, "", "--repo="+rp, "-k", filepath.Join(home, "key2.asc"), "R1"); code != 0 {
		t.Fatal(errs)
	}

	in := &clikit.Invocation{Ctx: context.Background(), Env: func(k string) string { return env[k] }}
	r, err := repo.Open(in.Ctx, rp)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ homedir, remote string }{{"", ""}, {home, ""}, {"", "R1"}} {
		got, err := clikit.GPGShowSignatures(in, r, c, tc.homedir, tc.remote)
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"--repo=" + rp, "show", "t"}
		if tc.homedir != "" {
			args = append(args, "--gpg-homedir="+tc.homedir)
		}
		if tc.remote != "" {
			args = append(args, "--gpg-verify-remote="+tc.remote)
		}
		want := runRef(args...)
		if i := strings.Index(want, "Found "); i >= 0 {
			want = want[i:]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("show %v signatures (-reference +ours):\n%s", tc, diff)
		}
	}

	ours, _, _ := clitest.GPGRun(t, remotecmd.SetupRemoteGpgListKeys, env, "", "--repo="+rp, "R1")
	if diff := cmp.Diff(runRef("--repo="+rp, "remote", "gpg-list-keys", "R1"), ours); diff != "" {
		t.Errorf("gpg-list-keys (-reference +ours):\n%s", diff)
	}

	// pull-local --gpg-verify's error, for a remote trusting only key2.
	kr, err := clikit.RemoteTrustedKeys(in, r, "R1")
	if err != nil {
		t.Fatal(err)
	}
	data, err := r.LoadMetadata(in.Ctx, c, object.TypeCommit)
	if err != nil {
		t.Fatal(err)
	}
	md, err := r.LoadDetachedMetadata(in.Ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "dst")
	runRef("--repo="+dst, "init", "--mode=archive")
	runRef("--repo="+dst, "remote", "add", "--gpg-import="+filepath.Join(home, "key2.asc"), "origin", rp)
	want := runRef("--repo="+dst, "pull-local", "--remote=origin", "--gpg-verify", rp, "t")
	got := "error: " + clikit.GPGVerifyCommitForRemote(in, kr, c, data, md).Error() + "\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pull-local --gpg-verify error (-reference +ours):\n%s", diff)
	}
	got = "error: " + clikit.GPGVerifyCommitForRemote(in, kr, c, data, nil).Error() + "\n"
	if !strings.Contains(got, "Commit "+c.String()+": GPG verification enabled, but no signatures found (use gpg-verify=false in remote config to disable)") {
		t.Errorf("unsigned commit: %s", got)
	}
}

func TestGpgPullHooks(t *testing.T) {
	rp, c := clitest.GPGTestRepo(t)
	home := clitest.GPGCopyKeys(t)
	env := map[string]string{"OSTREE_GPG_HOME": t.TempDir()}
	if _, errs, code := clitest.GPGRun(t, remotecmd.SetupRemoteGpgImport, env, "", "--repo="+rp, "-k", filepath.Join(home, "key1.asc"), "R1"); code != 0 {
		t.Fatal(errs)
	}
	in := &clikit.Invocation{Ctx: context.Background(), Env: func(k string) string { return env[k] }}
	r, err := repo.Open(in.Ctx, rp)
	if err != nil {
		t.Fatal(err)
	}
	commit, err := r.LoadMetadata(in.Ctx, c, object.TypeCommit)
	if err != nil {
		t.Fatal(err)
	}
	signed := func(keyID string) []byte {
		md, err := sign.SignCommit(in.Ctx, &sign.Home{Dir: home, GPG: "-"}, t.TempDir(), commit, nil, keyID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := object.MarshalMetadata(md)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	verify, err := clikit.GPGCommitVerifier(in, r, "R1")
	if err != nil {
		t.Fatal(err)
	}
	noSigs := "Commit " + c.String() + ": GPG verification enabled, but no signatures found (use gpg-verify=false in remote config to disable)"
	for _, tc := range []struct {
		name     string
		detached []byte
		want     string
	}{
		{"trusted key", signed("7FCA23D8472CDAFA"), ""},
		{"untrusted key", signed("D8228CFECA950D41"), "Commit " + c.String() + ": Signature made "},
		{"no detached metadata", nil, noSigs},
		{"corrupt detached metadata", []byte("borkborkbork\n"), noSigs},
	} {
		err := verify(in.Ctx, c, commit, tc.detached)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := clikit.GPGCommitVerifier(in, r, "NOPE"); err == nil || err.Error() != `Remote "NOPE" not found` {
		t.Errorf("unknown remote: %v", err)
	}
	if err := clikit.GPGCheckRemoteSummary(in, r, "R1", nil, nil); err != sign.ErrNoSummary {
		t.Errorf("no summary: %v", err)
	}
	if err := clikit.GPGCheckRemoteSummary(in, r, "R1", []byte("summary"), nil); err != sign.ErrNoSummarySig {
		t.Errorf("no summary.sig: %v", err)
	}
}
