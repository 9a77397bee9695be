package export

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

func TestFormatNumber(t *testing.T) {
	for _, tc := range []struct {
		v     uint64
		width int
		full  int
		want  []byte
	}{
		{0, 7, 8, []byte("0000000\x00")},
		{0o755, 7, 8, []byte("0000755\x00")},
		{2097151, 7, 8, []byte("7777777\x00")},
		{2097152, 7, 8, []byte{0x80, 0, 0, 0, 0, 0x20, 0, 0}},
		{3000000, 7, 8, []byte{0x80, 0, 0, 0, 0, 0x2d, 0xc6, 0xc0}},
		{1 << 33, 11, 12, []byte{0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0}},
	} {
		b := make([]byte, tc.full)
		formatNumber(tc.v, b[:tc.width], b)
		if !bytes.Equal(b, tc.want) {
			t.Errorf("formatNumber(%d) = %q, want %q", tc.v, b, tc.want)
		}
	}
	b := make([]byte, 3)
	formatOctal(0o1000, b)
	if string(b) != "777" {
		t.Errorf("overflow gives %q, want 777", b)
	}
}

// TestLongNames checks the GNU ././@LongLink records with Go's reader.
func TestLongNames(t *testing.T) {
	var buf bytes.Buffer
	tw := &tarWriter{w: &buf}
	long := strings.Repeat("n", 150)
	target := strings.Repeat("t", 120)
	for _, h := range []*header{
		{name: long + "/", typeflag: typeDir, mode: 0o755},
		{name: "l", linkname: target, typeflag: typeSymlink, mode: 0o777},
		{name: long + "/f", typeflag: typeReg, mode: 0o644, size: 0, uid: 3000000, gid: 7, mtime: 1700000000},
	} {
		if err := tw.writeHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.close(true); err != nil {
		t.Fatal(err)
	}
	if buf.Len()%recordSize != 0 {
		t.Errorf("length %d is not whole records", buf.Len())
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
		got = append(got, h.Name+"|"+h.Linkname)
		if h.Name == long+"/f" && (h.Uid != 3000000 || h.Gid != 7 || h.ModTime.Unix() != 1700000000) {
			t.Errorf("header %+v", h)
		}
	}
	want := []string{long + "/|", "l|" + target, long + "/f|"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestTarMatchesReference exports commits the reference made, in every
// repository mode, and expects its exact bytes.
func TestTarMatchesReference(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	base := t.TempDir()
	src := filepath.Join(base, "src")
	longDir := filepath.Join(src, strings.Repeat("d", 70), strings.Repeat("e", 70))
	for p, data := range map[string]string{
		"file": "hello\n", "baz/cow": "moo\n", "baz/deeper/x": strings.Repeat("x", 1000), "empty": "",
		filepath.Join(longDir[len(src)+1:], "f"): "long\n",
	} {
		os.MkdirAll(filepath.Join(src, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(src, p), []byte(data), 0o644)
	}
	os.Chmod(filepath.Join(src, "baz/cow"), 0o600)
	os.Symlink("file", filepath.Join(src, "link"))
	os.Symlink(strings.Repeat("t", 130), filepath.Join(src, "longlink"))
	for _, mode := range []string{"bare", "bare-user", "bare-user-only", "archive"} {
		t.Run(mode, func(t *testing.T) {
			rp := filepath.Join(t.TempDir(), "repo")
			args := []string{"commit", "--repo=" + rp, "-b", "t", "--tree=dir=" + src, "--owner-uid=3000000", "--owner-gid=5"}
			if mode == "bare-user-only" {
				args = []string{"commit", "--repo=" + rp, "-b", "t", "--tree=dir=" + src, "--canonical-permissions"}
			}
			for _, a := range [][]string{{"init", "--repo=" + rp, "--mode=" + mode}, args} {
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
			for _, tc := range []struct {
				name string
				args []string
				opts Options
			}{
				{"whole", nil, Options{}},
				{"subpath", []string{"--subpath=baz"}, Options{Subpath: "baz"}},
				{"prefix", []string{"--prefix=the-prefix/"}, Options{Prefix: "the-prefix/"}},
				{"both", []string{"--subpath=/baz/deeper", "--prefix=p"}, Options{Subpath: "/baz/deeper", Prefix: "p"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					out := filepath.Join(t.TempDir(), "ref.tar")
					if o, err := exec.Command(ref, append([]string{"export", "--repo=" + rp, "t", "-o", out}, tc.args...)...).CombinedOutput(); err != nil {
						t.Fatalf("reference export: %v\n%s", err, o)
					}
					want, err := os.ReadFile(out)
					if err != nil {
						t.Fatal(err)
					}
					var got bytes.Buffer
					if err := Tar(ctx, r, c, &got, tc.opts); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got.Bytes(), want) {
						t.Errorf("export differs from the reference (%d vs %d bytes)", got.Len(), len(want))
					}
					// Through a pipe, libarchive pads the last record.
					cmd := exec.Command(ref, append([]string{"export", "--repo=" + rp, "t"}, tc.args...)...)
					piped, err := cmd.Output()
					if err != nil {
						t.Fatal(err)
					}
					got.Reset()
					opts := tc.opts
					opts.PadRecord = true
					if err := Tar(ctx, r, c, &got, opts); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got.Bytes(), piped) {
						t.Errorf("padded export differs from the reference (%d vs %d bytes)", got.Len(), len(piped))
					}
				})
			}
		})
	}
}
