package export

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

// Files sharing a content object are exported once, the later ones as
// hard links to the first member (libostree 2025.2's test-export checks
// this; its bytes matched ours when this was written). Symlinks are
// never linked.
func TestHardLinksForSharedContent(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	base := t.TempDir()
	src := filepath.Join(base, "src")
	for p, data := range map[string]string{"s1/a": "SAME\n", "s1/b": "SAME\n", "s2/c": "SAME\n", "s1/d": "other\n"} {
		os.MkdirAll(filepath.Join(src, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(src, p), []byte(data), 0o644)
	}
	os.Symlink("x", filepath.Join(src, "l1"))
	os.Symlink("x", filepath.Join(src, "l2"))
	rp := filepath.Join(base, "repo")
	for _, a := range [][]string{{"init", "--repo=" + rp, "--mode=archive"}, {"commit", "--repo=" + rp, "-b", "t", "--tree=dir=" + src}} {
		if out, err := exec.Command(ref, a...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", a, err, out)
		}
	}
	ctx := context.Background()
	r, err := repo.Open(ctx, rp)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.ResolveRev(ctx, "t", false)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Tar(ctx, r, c, &buf, Options{Prefix: "p/"}); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(h.Typeflag)+" "+h.Name+" "+h.Linkname+" "+string(rune('0'+h.Size)))
	}
	want := []string{
		"5 p/  0", "2 p/l1 x 0", "2 p/l2 x 0", "5 p/s1/  0", "0 p/s1/a  5", "1 p/s1/b p/s1/a 0",
		"0 p/s1/d  6", "5 p/s2/  0", "1 p/s2/c p/s1/a 0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}
