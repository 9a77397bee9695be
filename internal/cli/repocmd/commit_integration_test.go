package repocmd_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/testutil"
)

// TestCommitCLIMatchesReference runs the same commit command lines with
// the reference and with us, each on its own repo, and compares output,
// errors and exit codes.
func TestCommitCLIMatchesReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	base := t.TempDir()
	src := filepath.Join(base, "src")
	for p, c := range map[string]string{"a/file": "hello\n", "a/exe": "#!/bin/sh\n", "b": "b\n"} {
		os.MkdirAll(filepath.Join(src, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(src, p), []byte(c), 0o644)
	}
	os.Chmod(filepath.Join(src, "a/exe"), 0o775)
	os.Symlink("file", filepath.Join(src, "a/link"))
	so := filepath.Join(base, "statoverride")
	os.WriteFile(so, []byte("+2048 /a/file\n=384 /b\n"), 0o644)
	soBad := filepath.Join(base, "statoverride-bad")
	os.WriteFile(soBad, []byte("2048 /nope\n"), 0o644)
	skip := filepath.Join(base, "skip")
	os.WriteFile(skip, []byte("/a/link\n"), 0o644)
	body := filepath.Join(base, "body")
	os.WriteFile(body, []byte("line one\n\nline two\n"), 0o644)

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"basic", []string{"-b", "x", "--timestamp=@1700000000", "-s", "subject", "-m", "body", "--tree=dir=" + src}},
		{"positional path", []string{"-b", "x", "--timestamp=2005-10-29 12:43:29 +0000", src}},
		{"metadata", []string{"-b", "x", "--timestamp=@1", "--add-metadata-string=version=1.0", "--add-metadata=n=uint32 5",
			"--add-metadata=l=['a', 'b']", "--add-detached-metadata-string=sig=x", "--tree=dir=" + src}},
		{"modifiers", []string{"-b", "x", "--timestamp=@1", "--owner-uid=5", "--owner-gid=6", "--mode-ro-executables",
			"--statoverride=" + so, "--skip-list=" + skip, "--tree=dir=" + src}},
		{"orphan bind", []string{"--orphan", "--bind-ref=z", "--bind-ref=a", "--timestamp=@1", "--tree=dir=" + src}},
		{"body file", []string{"-b", "x", "--timestamp=@1", "-F", body, "--tree=dir=" + src}},
		{"canonical", []string{"-b", "x", "--timestamp=@1", "--canonical-permissions", "--no-xattrs", "--tree=dir=" + src}},
		{"remote branch", []string{"-b", "origin:remote1", "--timestamp=@1", "--tree=dir=" + src}},
		{"table output", []string{"-b", "x", "--timestamp=@1", "--table-output", "--tree=dir=" + src}},
		{"no branch", []string{"--tree=dir=" + src}},
		{"bad parent", []string{"-b", "x", "--parent=abc", src}},
		{"bad refspec", []string{"-b", "-bad", src}},
		{"missing equals", []string{"-b", "x", "--add-metadata-string=novalue", src}},
		{"empty key", []string{"-b", "x", "--add-metadata-string==v", src}},
		{"tree without type", []string{"-b", "x", "--tree=foo"}},
		{"bad tree type", []string{"-b", "x", "--tree=zip=foo"}},
		{"bad timestamp", []string{"-b", "x", "--timestamp=garbage", src}},
		{"keep without parent", []string{"-b", "x", "--keep-metadata=k", src}},
		{"unmatched statoverride", []string{"-b", "x", "--statoverride=" + soBad, src}},
		{"canonical with uid", []string{"-b", "x", "--canonical-permissions", "--owner-uid=5", src}},
		{"bootable without kernel", []string{"-b", "x", "--bootable", src}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			refRepo, ourRepo := filepath.Join(d, "ref"), filepath.Join(d, "ours")
			clitest.MustRef(t, ref, "init", "--repo="+refRepo, "--mode=archive")
			clitest.MustRef(t, ref, "init", "--repo="+ourRepo, "--mode=archive")
			rout, rerr, rcode := clitest.RunRef(t, ref, append([]string{"commit", "--repo=" + refRepo}, tc.args...)...)
			out, errs, code := clitest.RunOurs(t, nil, append([]string{"commit", "--repo=" + ourRepo}, tc.args...)...)
			if code != rcode {
				t.Fatalf("exit %d, reference %d\nours: %s\nreference: %s", code, rcode, errs, rerr)
			}
			if rcode != 0 {
				// Messages must agree on what matters; GVariant parse errors
				// and errno texts may differ in detail.
				if first := strings.SplitN(rerr, ":", 2)[0]; !strings.HasPrefix(errs, first) {
					t.Errorf("stderr %q, reference %q", errs, rerr)
				}
				return
			}
			if strings.Contains(tc.name, "table") {
				keys := func(s string) []string {
					var k []string
					for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
						k = append(k, strings.SplitN(l, ":", 2)[0])
					}
					return k
				}
				if diff := cmp.Diff(keys(rout), keys(out)); diff != "" {
					t.Errorf("table keys (-reference +ours):\n%s", diff)
				}
				rout, out = strings.SplitN(rout, "\n", 2)[0], strings.SplitN(out, "\n", 2)[0]
			}
			if out != rout {
				t.Errorf("stdout %q, reference %q", out, rout)
			}
			clitest.MustRef(t, ref, "fsck", "--repo="+ourRepo)
		})
	}
}

func TestChecksumCLIMatchesReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	d := t.TempDir()
	os.WriteFile(filepath.Join(d, "f"), []byte("content\n"), 0o640)
	os.Symlink("f", filepath.Join(d, "l"))
	os.Mkdir(filepath.Join(d, "dir"), 0o750)
	syscall.Mkfifo(filepath.Join(d, "fifo"), 0o600)
	syscall.Setxattr(filepath.Join(d, "f"), "user.k", []byte("v"), 0)
	for _, args := range [][]string{
		{"f"}, {"l"}, {"dir"}, {"fifo"}, {"--ignore-xattrs", "f"}, {"--ignore-xattrs", "dir"},
		{"missing"}, {"--ignore-xattrs", "missing"}, {},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			full := append([]string{"checksum"}, args...)
			for i, a := range full {
				if i > 0 && !strings.HasPrefix(a, "-") {
					full[i] = filepath.Join(d, a)
				}
			}
			rout, rerr, rcode := clitest.RunRef(t, ref, full...)
			out, errs, code := clitest.RunOurs(t, nil, full...)
			if code != rcode || out != rout || errs != rerr {
				t.Errorf("got (%d, %q, %q), reference (%d, %q, %q)", code, out, errs, rcode, rout, rerr)
			}
		})
	}
}
