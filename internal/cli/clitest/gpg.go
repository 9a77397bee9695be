package clitest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli"
	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/object"
)

// gpgTestKeys is relative to a command family's test directory.
const gpgTestKeys = "../../sign/testdata/gpghome"

// GPGRun runs one command's setup function the way Main runs a
// registered command, so the GPG commands can be tested on their own.
func GPGRun(t *testing.T, setup func(*clikit.Invocation) func([]string) error, env map[string]string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	in := &clikit.Invocation{Ctx: context.Background(), Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(stdin),
		Env: func(k string) string { return env[k] }, Path: "ostree test"}
	if err := clikit.RunSetup(in, setup, args); err != nil {
		if _, ok := err.(clikit.UsageError); ok {
			errb.WriteString("usage: ")
		}
		errb.WriteString("error: " + clikit.ErrorText(err) + "\n")
		return out.String(), errb.String(), 1
	}
	return out.String(), errb.String(), 0
}

// GPGTestRepo makes an archive repo with one commit on ref "t" using our
// own init and commit.
func GPGTestRepo(t *testing.T) (string, object.Checksum) {
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
		if code := cli.Main(context.Background(), args, strings.NewReader(""), &out, &errb, func(string) string { return "" }); code != 0 {
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

// GPGCopyKeys copies the test GPG home (keys, keyrings) to a temporary
// directory, since GnuPG writes to its home.
func GPGCopyKeys(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "gpghome")
	if err := os.CopyFS(dst, os.DirFS(gpgTestKeys)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// GPGReadFile reads p or fails the test.
func GPGReadFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
