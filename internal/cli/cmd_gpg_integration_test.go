package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/sign"
	"github.com/gostree/gostree/internal/testutil"
)

const gpgTestKeys = "../sign/testdata/gpghome"

// gpgRun runs one command's setup function the way Main runs a
// registered command, so the GPG commands can be tested on their own.
func gpgRun(t *testing.T, setup func(*Invocation) func([]string) error, env map[string]string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	in := &Invocation{Ctx: context.Background(), Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(stdin),
		Env: func(k string) string { return env[k] }, Path: "ostree test"}
	if err := RunSetup(in, setup, args); err != nil {
		if _, ok := err.(usageError); ok {
			errb.WriteString("usage: ")
		}
		errb.WriteString("error: " + errorText(err) + "\n")
		return out.String(), errb.String(), 1
	}
	return out.String(), errb.String(), 0
}

// gpgTestRepo makes an archive repo with one commit on ref "t" using our
// own init and commit.
func gpgTestRepo(t *testing.T) (string, object.Checksum) {
	t.Helper()
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	if err := os.MkdirAll(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "f"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rp := filepath.Join(dir, "repo")
	ours := func(args ...string) string {
		var out, errb bytes.Buffer
		if code := Main(context.Background(), args, strings.NewReader(""), &out, &errb, func(string) string { return "" }); code != 0 {
			t.Fatalf("%v: %s", args, errb.String())
		}
		return out.String()
	}
	ours("--repo="+rp, "init", "--mode=archive")
	c, err := object.ParseChecksum(strings.TrimSpace(ours("--repo="+rp, "commit", "-b", "t", "-s", "s", "--tree=dir="+tree)))
	if err != nil {
		t.Fatal(err)
	}
	ours("--repo="+rp, "remote", "add", "--no-gpg-verify", "R1", "http://example.com/repo")
	return rp, c
}

func gpgCopyKeys(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "gpghome")
	if err := os.CopyFS(dst, os.DirFS(gpgTestKeys)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestGpgSignCommand(t *testing.T) {
	rp, c := gpgTestRepo(t)
	home := gpgCopyKeys(t)
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
		out, errs, _ := gpgRun(t, setupGpgSign, env, "", st.args...)
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
	rp, _ := gpgTestRepo(t)
	home := gpgCopyKeys(t)
	key1 := filepath.Join(home, "key1.asc")
	env := map[string]string{"OSTREE_GPG_HOME": t.TempDir()}
	steps := []struct {
		setup   func(*Invocation) func([]string) error
		stdin   string
		args    []string
		out     string
		errText string
	}{
		{setupRemoteGpgListKeys, "", []string{"--repo=" + rp, "R1"}, "", ""},
		{setupRemoteGpgImport, "", []string{"--repo=" + rp}, "", "usage: error: NAME must be specified\n"},
		{setupRemoteGpgImport, "", []string{"--repo=" + rp, "-k", key1, "--stdin", "R1"}, "", "usage: error: --keyring and --stdin are mutually exclusive\n"},
		{setupRemoteGpgImport, "", []string{"--repo=" + rp, "-k", "/nonexistent", "R1"}, "", "error: Error opening file /nonexistent: No such file or directory\n"},
		{setupRemoteGpgImport, "", []string{"--repo=" + rp, "-k", key1, "NOPE"}, "", "error: GPG: Remote \"NOPE\" not found\n"},
		{setupRemoteGpgImport, "", []string{"--repo=" + rp, "-k", key1, "R1", "DEADBEEF"}, "", "error: GPG: Unable to find key \"DEADBEEF\": GPGME: End of file\n"},
		{setupRemoteGpgImport, "", []string{"--repo=" + rp, "R1"}, "", "error: GPG: Unable to export keys: GPGME: No data\n"},
		{setupRemoteGpgImport, "", []string{"--repo=" + rp, "--keyring", key1, "R1"}, "Imported 1 GPG key to remote \"R1\"\n", ""},
		{setupRemoteGpgImport, "", []string{"--repo=" + rp, "--keyring", key1, "-k", filepath.Join(home, "pubring.gpg"), "R1"}, "Imported 2 GPG keys to remote \"R1\"\n", ""},
		{setupRemoteGpgImport, string(gpgReadFile(t, filepath.Join(home, "key3.asc"))), []string{"--repo=" + rp, "--stdin", "R1"}, "Imported 0 GPG keys to remote \"R1\"\n", ""},
		{setupRemoteGpgListKeys, "", []string{"--repo=" + rp, "NOPE"}, "", "error: Remote \"NOPE\" not found\n"},
		{setupRemoteGpgListKeys, "", []string{"--repo=" + rp}, "", ""},
	}
	for _, st := range steps {
		out, errs, _ := gpgRun(t, st.setup, env, st.stdin, st.args...)
		if out != st.out || errs != st.errText {
			t.Errorf("%v:\nstdout %q, want %q\nstderr %q, want %q", st.args, out, st.out, errs, st.errText)
		}
	}
	out, _, code := gpgRun(t, setupRemoteGpgListKeys, env, "", "--repo="+rp, "R1")
	if code != 0 || strings.Count(out, "\nKey: ")+1 != 3 || !strings.HasPrefix(out, "Key: 5E65DE75AB1C501862D476347FCA23D8472CDAFA\n  Created: Tue Sep 10 02:29:42 2013\n") {
		t.Errorf("gpg-list-keys R1:\n%s", out)
	}
	env["OSTREE_GPG_HOME"] = filepath.Join(home, "trusted")
	global, _, _ := gpgRun(t, setupRemoteGpgListKeys, env, "", "--repo="+rp)
	if global != out {
		t.Errorf("global listing differs from R1's:\n%s", global)
	}
}

func gpgReadFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGpgCommandsMatchReference compares show's signature block, the key
// listing and the verification errors with the reference's.
func TestGpgCommandsMatchReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	old := time.Local
	time.Local = time.UTC
	defer func() { time.Local = old }()
	rp, c := gpgTestRepo(t)
	home := gpgCopyKeys(t)
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
	if _, errs, code := gpgRun(t, setupGpgSign, env, "", "--repo="+rp, "--gpg-homedir="+home, "t", "7FCA23D8472CDAFA", "0D15FAE7DF444D67"); code != 0 {
		t.Fatal(errs)
	}
	if _, errs, code := gpgRun(t, setupRemoteGpgImport, env, "", "--repo="+rp, "-k", filepath.Join(home, "key2.asc"), "R1"); code != 0 {
		t.Fatal(errs)
	}

	in := &Invocation{Ctx: context.Background(), Env: func(k string) string { return env[k] }}
	r, err := repo.Open(in.Ctx, rp)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ homedir, remote string }{{"", ""}, {home, ""}, {"", "R1"}} {
		got, err := gpgShowSignatures(in, r, c, tc.homedir, tc.remote)
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

	ours, _, _ := gpgRun(t, setupRemoteGpgListKeys, env, "", "--repo="+rp, "R1")
	if diff := cmp.Diff(runRef("--repo="+rp, "remote", "gpg-list-keys", "R1"), ours); diff != "" {
		t.Errorf("gpg-list-keys (-reference +ours):\n%s", diff)
	}

	// pull-local --gpg-verify's error, for a remote trusting only key2.
	kr, err := remoteTrustedKeys(in, r, "R1")
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
	got := "error: " + gpgVerifyCommitForRemote(in, kr, c, data, md).Error() + "\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pull-local --gpg-verify error (-reference +ours):\n%s", diff)
	}
	got = "error: " + gpgVerifyCommitForRemote(in, kr, c, data, nil).Error() + "\n"
	if !strings.Contains(got, "Commit "+c.String()+": GPG verification enabled, but no signatures found (use gpg-verify=false in remote config to disable)") {
		t.Errorf("unsigned commit: %s", got)
	}
}

func TestGpgPullHooks(t *testing.T) {
	rp, c := gpgTestRepo(t)
	home := gpgCopyKeys(t)
	env := map[string]string{"OSTREE_GPG_HOME": t.TempDir()}
	if _, errs, code := gpgRun(t, setupRemoteGpgImport, env, "", "--repo="+rp, "-k", filepath.Join(home, "key1.asc"), "R1"); code != 0 {
		t.Fatal(errs)
	}
	in := &Invocation{Ctx: context.Background(), Env: func(k string) string { return env[k] }}
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
	verify, err := gpgCommitVerifier(in, r, "R1")
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
	if _, err := gpgCommitVerifier(in, r, "NOPE"); err == nil || err.Error() != `Remote "NOPE" not found` {
		t.Errorf("unknown remote: %v", err)
	}
	if err := gpgCheckRemoteSummary(in, r, "R1", nil, nil); err != sign.ErrNoSummary {
		t.Errorf("no summary: %v", err)
	}
	if err := gpgCheckRemoteSummary(in, r, "R1", []byte("summary"), nil); err != sign.ErrNoSummarySig {
		t.Errorf("no summary.sig: %v", err)
	}
}
