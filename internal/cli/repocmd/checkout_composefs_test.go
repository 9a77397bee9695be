package repocmd_test

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/fsverity"
)

// TestComposefsCLI: commit --generate-composefs-metadata, then the digest
// `show` prints is the fs-verity digest of what checkout --composefs
// writes; --composefs refuses checkout options and a mismatched digest.
func TestComposefsCLI(t *testing.T) {
	dir := t.TempDir()
	repoArg := "--repo=" + filepath.Join(dir, "repo")
	src := filepath.Join(dir, "src")
	for p, c := range map[string]string{"usr/bin/tool": "#!/bin/sh\n", "usr/share/doc": "docs\n", "empty": ""} {
		os.MkdirAll(filepath.Join(src, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(src, p), []byte(c), 0o644)
	}
	os.Symlink("usr/bin", filepath.Join(src, "bin"))
	must := func(args ...string) string {
		t.Helper()
		out, errs, code := clitest.RunOurs(t, nil, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		return out
	}
	must(repoArg, "init", "--mode=bare-user")
	must(repoArg, "commit", "-b", "cfs", "--generate-composefs-metadata", "--canonical-permissions", "--no-xattrs", src)
	shown := strings.TrimSpace(must(repoArg, "show", "--print-hex", "--print-metadata-key", "ostree.composefs.digest.v0", "cfs"))

	img := filepath.Join(dir, "cfs.img")
	must(repoArg, "checkout", "--composefs", "cfs", img)
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := fsverity.Sum(bytes.NewReader(data))
	if got := hex.EncodeToString(d[:]); got != shown {
		t.Errorf("image digest %s, commit metadata %s", got, shown)
	}

	noverity := filepath.Join(dir, "noverity.img")
	must(repoArg, "checkout", "--composefs-noverity", "cfs", noverity)
	if nv, _ := os.ReadFile(noverity); bytes.Equal(nv, data) || len(nv) == 0 {
		t.Errorf("the noverity image (%d bytes) should differ from the verity one (%d bytes)", len(nv), len(data))
	}

	if _, errs, code := clitest.RunOurs(t, nil, repoArg, "checkout", "--composefs", "--union-add", "cfs", img+"2"); code == 0 || !strings.Contains(errs, "Specified options are incompatible with --composefs") {
		t.Errorf("--composefs --union-add: exit %d: %s", code, errs)
	}

	must(repoArg, "commit", "-b", "bad", "--tree=ref=cfs", "--add-metadata=ostree.composefs.digest.v0=[byte 0x13, 0xae, 0xae, 0xed, 0xc0, 0x34, 0xd1, 0x39, 0xef, 0xfc, 0xd6, 0x6f, 0xe3, 0xdb, 0x08, 0xd3, 0x32, 0x8a, 0xec, 0x2f, 0x02, 0xc5\n, 0xa7, 0x8a, 0xee, 0xa6, 0x0f, 0x34, 0x6d, 0x7a, 0x22, 0x6d]")
	_, errs, code := clitest.RunOurs(t, nil, repoArg, "checkout", "--composefs", "bad", filepath.Join(dir, "bad.img"))
	if code == 0 || !strings.Contains(errs, "doesn't match expected digest (13aeaeedc034d139effcd66fe3db08d3328aec2f02c5a78aeea60f346d7a226d)") {
		t.Errorf("bad digest: exit %d: %s", code, errs)
	}
	if _, err := os.Lstat(filepath.Join(dir, "bad.img")); err == nil {
		t.Error("a refused image was written")
	}

	if out := must("--version"); !strings.Contains(out, "  - composefs\n") {
		t.Errorf("--version lacks composefs:\n%s", out)
	}
}
