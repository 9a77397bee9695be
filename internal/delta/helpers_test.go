package delta

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/testutil"
)

// ostreeRef runs the reference ostree on repo and returns its stdout.
func ostreeRef(t testing.TB, repo string, args ...string) string {
	t.Helper()
	bin := testutil.ReferenceOstree(t)
	cmd := exec.Command(bin, append([]string{"--repo=" + repo}, args...)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ostree %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out.String()
}

// writeTree creates files under dir: a value starting with "->" is a
// symlink target, anything else the file's contents.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		os.Remove(p)
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// refCommit commits dir to branch with the reference ostree and returns
// the checksum.
func refCommit(t testing.TB, repo, branch, dir string) string {
	t.Helper()
	return strings.TrimSpace(ostreeRef(t, repo, "commit", "-b", branch, "--tree=dir="+dir, "-s", "c", "--no-bindings"))
}

// pseudoRandom returns n deterministic incompressible bytes.
func pseudoRandom(n int, seed uint32) []byte {
	b := make([]byte, n)
	x := seed*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// refTwoCommits builds a repo (mode as given) with two commits of a
// small tree where the second modifies a large file, and returns the
// repo and both checksums.
func refTwoCommits(t testing.TB, mode string) (repo, from, to string) {
	t.Helper()
	tmp := t.TempDir()
	repo = filepath.Join(tmp, "repo")
	ostreeRef(t, repo, "init", "--mode="+mode)
	tree := filepath.Join(tmp, "tree")
	big := pseudoRandom(80_000, 1)
	scattered := pseudoRandom(40_000, 2)
	writeTree(t, tree, map[string]string{
		"etc/a":           "hello\n",
		"etc/link":        "->a",
		"usr/bin/big":     string(big),
		"usr/lib/libx.so": string(scattered),
		"usr/share/x":     "unchanged\n",
	})
	from = refCommit(t, repo, "main", tree)
	big2 := append(append([]byte{}, big[:40_000]...), []byte("inserted bytes")...)
	big2 = append(big2, big[40_000:]...)
	// Edits every few hundred bytes defeat rollsum; bsdiff takes them.
	for i := 0; i < len(scattered); i += 300 {
		scattered[i]++
	}
	writeTree(t, tree, map[string]string{
		"usr/lib/libx.so": string(scattered),
		"etc/a":           "hello world\n",
		"etc/link2":       "->../usr",
		"usr/bin/big":     string(big2),
		"usr/bin/new":     strings.Repeat("new file ", 1000),
	})
	to = refCommit(t, repo, "main", tree)
	return repo, from, to
}

func mustParse(t testing.TB, s string) (c object.Checksum) {
	t.Helper()
	c, err := object.ParseChecksum(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type (
	objectName = object.Name
	objectType = object.Type
)

// putCRC rewrites the CRC32 that ends an xz block header.
func putCRC(hdr []byte) {
	n := len(hdr)
	binary.LittleEndian.PutUint32(hdr[n-4:], crc32.ChecksumIEEE(hdr[:n-4]))
}
