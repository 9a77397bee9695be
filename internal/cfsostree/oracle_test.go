package cfsostree_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cfsostree"
	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsverity"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// The three digests of libostree 2025.2's tests/test-composefs.sh, the
// only upstream oracles for the ostree mapping (libcomposefs is not
// packaged here).
const (
	oracleMetaDigest     = "be956966c70970ea23b1a8043bca58cfb0d011d490a35a7817b36d04c0210954"
	oracleImageSHA256    = "031fab2c7f390b752a820146dc89f6880e5739cba7490f64024e0c7d11aad7c9"
	oracleNoveritySHA256 = "78f873a76ccfea3ad7c86312ba0e06f8e0bca54ab4912b23871b31caafe59c24"
	oracleCowLine        = "/baz/cow 4 100644 1 0 0 0 0.0 f6/a517d53831a40cff3886a965c70d57aa50797a8e5ea965b2c49cc575a6ff51.file - "
)

// test2Tree is libtest.sh's setup_test_repository tree (umask 022)
// without whiteouts/, as test-composefs.sh commits it.
var test2Tree = []entry{
	{path: "somelink", target: "nosuchfile"},
	{path: "firstfile", content: "first\n"},
	{path: "baz", dir: true},
	{path: "baz/cow", content: "moo\n"},
	{path: "baz/cowro", content: "mooro\n", perm: 0o600},
	{path: "baz/saucer", content: "alien\n"},
	{path: "baz/deeper", dir: true},
	{path: "baz/deeper/ohyeah", content: "hi\n"},
	{path: "baz/deeper/ohyeahx", content: "hix\n", perm: 0o755},
	{path: "baz/alink", target: "nonexistent"},
	{path: "baz/another", dir: true},
	{path: "baz/another/y", content: "x\n"},
	{path: "baz/sub1", dir: true},
	{path: "baz/sub1/duplicate_a", content: "SAME_CONTENT\n"},
	{path: "baz/sub1/duplicate_b", content: "SAME_CONTENT\n"},
	{path: "baz/sub2", dir: true},
	{path: "baz/sub2/duplicate_c", content: "SAME_CONTENT\n"},
}

func sha256File(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestOracleTestComposefs replays test-composefs.sh on our own commits.
func TestOracleTestComposefs(t *testing.T) {
	ctx := context.Background()
	dir := makeTree(t, test2Tree)
	for _, mode := range []repo.Mode{repo.ModeBareUser, repo.ModeArchive, repo.ModeBare} {
		t.Run(mode.String(), func(t *testing.T) {
			r := newRepo(t, mode)
			without := commitTree(t, r, "test-composefs-without-meta", dir, commitOpts{canonical: true})
			with := commitTree(t, r, "test-composefs", dir, commitOpts{canonical: true, composefs: true})

			cm, err := r.LoadCommit(ctx, with)
			if err != nil {
				t.Fatal(err)
			}
			want, err := cfsostree.ExpectedDigest(cm.Metadata)
			if err != nil || want == nil {
				t.Fatalf("commit metadata has no digest: %v", err)
			}
			if got := hex.EncodeToString(want[:]); got != oracleMetaDigest {
				t.Errorf("ostree.composefs.digest.v0 = %s, want %s", got, oracleMetaDigest)
			}

			out := t.TempDir()
			img := filepath.Join(out, "test2-co.cfs")
			d, err := cfsostree.CheckoutImage(ctx, r, with, img, cfsostree.VerityRequired)
			if err != nil {
				t.Fatal(err)
			}
			if d != *want {
				t.Errorf("checkout --composefs digest %x != commit metadata digest %x", d, *want)
			}
			if got := sha256File(t, img); got != oracleImageSHA256 {
				t.Errorf("sha256 of checkout --composefs = %s, want %s", got, oracleImageSHA256)
			}
			if dump := dumpOf(t, img); !strings.Contains(dump, oracleCowLine+"ebaa23af194a798df610e5fe2bd10725c9c4a3a56a6b62d4d0ee551d4fc4be27\n") {
				t.Errorf("dump lacks the /baz/cow line with its digest:\n%s", dump)
			}
			if st, err := os.Stat(img); err != nil || st.Mode().Perm() != 0o644 {
				t.Errorf("image mode: %v %v", st.Mode(), err)
			}

			noverity := filepath.Join(out, "test2-co-noverity.cfs")
			if _, err := cfsostree.CheckoutImage(ctx, r, without, noverity, cfsostree.VerityNone); err != nil {
				t.Fatal(err)
			}
			if got := sha256File(t, noverity); got != oracleNoveritySHA256 {
				t.Errorf("sha256 of checkout --composefs-noverity = %s, want %s", got, oracleNoveritySHA256)
			}
			if dump := dumpOf(t, noverity); !strings.Contains(dump, oracleCowLine+"-\n") {
				t.Errorf("dump lacks the /baz/cow line without digest:\n%s", dump)
			}
		})
	}
}

// TestBadDigest: a commit whose ostree.composefs.digest.v0 differs from
// its image is refused by a verity checkout, which leaves no file.
func TestBadDigest(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t, repo.ModeBareUser)
	base := commitTree(t, r, "base", makeTree(t, test2Tree), commitOpts{canonical: true})
	bad := make([]byte, 32)
	bad[0] = 0x13
	bad2 := commitTree(t, r, "bad", "", commitOpts{canonical: true, treeCommit: base.String(),
		metadata: object.Metadata{{Key: cfsostree.DigestKey, Value: gvariant.NewVariant("ay", bad)}}})
	dest := filepath.Join(t.TempDir(), "bad.cfs")
	_, err := cfsostree.CheckoutImage(ctx, r, bad2, dest, cfsostree.VerityRequired)
	if err == nil || !strings.Contains(err.Error(), "doesn't match expected digest") || !errors.Is(err, errdefs.ErrCorrupt) {
		t.Fatalf("err = %v, want a digest mismatch", err)
	}
	if _, err := os.Lstat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused image was left at %s", dest)
	}
	ents, _ := os.ReadDir(filepath.Dir(dest))
	if len(ents) != 0 {
		t.Errorf("temp files left behind: %v", ents)
	}
	// Without verity the expectation is not checked (libostree's verity=0/1).
	if _, err := cfsostree.CheckoutImage(ctx, r, bad2, dest, cfsostree.VerityMeasured); err != nil {
		t.Errorf("measured checkout: %v", err)
	}
	// A wrong-sized value is an error only when checked.
	short := commitTree(t, r, "short", "", commitOpts{canonical: true, treeCommit: base.String(),
		metadata: object.Metadata{{Key: cfsostree.DigestKey, Value: gvariant.NewVariant("ay", []byte{1, 2})}}})
	if _, err := cfsostree.CheckoutImage(ctx, r, short, dest, cfsostree.VerityRequired); err == nil || !strings.Contains(err.Error(), "wrong size") {
		t.Errorf("short digest: err = %v", err)
	}
}

// TestFileDigest ties the /baz/cow digest to the fs-verity code itself.
func TestFileDigest(t *testing.T) {
	d, err := fsverity.Sum(strings.NewReader("moo\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(d[:]); got != "ebaa23af194a798df610e5fe2bd10725c9c4a3a56a6b62d4d0ee551d4fc4be27" {
		t.Errorf("fs-verity of moo = %s", got)
	}
}
