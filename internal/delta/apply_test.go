package delta

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/repo"
)

// applyDir applies the delta in dir (superblock plus parts) to the
// repository at dst the way static-delta apply-offline does.
func applyDir(t testing.TB, dst, dir string) error {
	t.Helper()
	return applyDirWith(t, dst, dir, ApplyOptions{})
}

// applyDirWith is applyDir with options; OpenPart is set here.
func applyDirWith(t testing.TB, dst, dir string, opts ApplyOptions) error {
	t.Helper()
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join(dir, "superblock"))
	if err != nil {
		t.Fatal(err)
	}
	sb, _, _, err := ReadSuperblockFile(raw)
	if err != nil {
		return err
	}
	r, err := repo.Open(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	txn, err := r.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Abort()
	opts.OpenPart = func(_ context.Context, i int) (io.ReadCloser, error) {
		return os.Open(filepath.Join(dir, strconv.Itoa(i)))
	}
	err = Apply(ctx, txn, sb, opts)
	if err != nil {
		return err
	}
	return txn.Commit(ctx)
}

func TestApplyReferenceDeltas(t *testing.T) {
	src, from, to := refTwoCommits(t, "archive")
	cases := []struct {
		name    string
		args    []string
		scratch bool
		mode    string
		ops     string // an op count show must report non-zero
		wantErr string
	}{
		{"bsdiff", []string{"--max-bsdiff-size=10000"}, false, "bare-user", "bspatch", ""},
		{"rollsum", []string{"--disable-bsdiff"}, false, "bare-user", "write", ""},
		{"inline", []string{"--inline"}, false, "bare-user-only", "", ""},
		{"swapped", []string{"--swap-endianness"}, false, "bare", "", ""},
		{"scratch", []string{"--empty"}, true, "bare-user", "openspliceclose", ""},
		{"scratch-archive", []string{"--empty"}, true, "archive", "", ""},
		{"bsdiff-archive", []string{"--max-bsdiff-size=10000"}, false, "archive", "", "can only be applied to a bare repository"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"static-delta", "generate", "--to=" + to}
			id := ID{}
			id.To = mustParse(t, to)
			if !tc.scratch {
				args = append(args, "--from="+from)
				id.From = mustParse(t, from)
			}
			ostreeRef(t, src, append(args, tc.args...)...)
			checkRoundTrip(t, filepath.Join(src, id.SuperblockPath()), tc.name == "swapped")
			if tc.ops != "" {
				stats := countDirOps(t, filepath.Join(src, id.Dir()))
				if stats[opIndex[tc.ops]] == 0 {
					t.Errorf("the delta has no %s operation: %v", tc.ops, stats)
				}
			}
			dst := filepath.Join(t.TempDir(), "dst")
			ostreeRef(t, dst, "init", "--mode="+tc.mode)
			if !tc.scratch {
				ostreeRef(t, dst, "pull-local", src, from)
			}
			err := applyDir(t, dst, filepath.Join(src, id.Dir()))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				ostreeRef(t, dst, "fsck")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ostreeRef(t, dst, "fsck")
			if out := ostreeRef(t, dst, "ls", "-R", to); !strings.Contains(out, "/usr/bin/new") {
				t.Errorf("ls: %s", out)
			}
		})
	}
}

var opIndex = map[string]int{"openspliceclose": 0, "open": 1, "write": 2, "setread": 3, "unsetread": 4, "close": 5, "bspatch": 6}

// countDirOps counts the operations of every part of the delta in dir.
func countDirOps(t *testing.T, dir string) OpStats {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "superblock"))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := UnmarshalSuperblock(raw)
	if err != nil {
		t.Fatal(err)
	}
	var total OpStats
	for i, h := range sb.Parts {
		f, err := os.Open(filepath.Join(dir, strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		p, err := OpenPart(f, OpenOptions{Expected: &h.Checksum})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		n, err := CountOps(h.Objects, p.Payload)
		p.Close()
		if err != nil {
			t.Fatal(err)
		}
		for k := range n {
			total[k] += n[k]
		}
	}
	return total
}

// checkRoundTrip parses a superblock the reference wrote and checks that
// Marshal gives back its bytes.
func checkRoundTrip(t *testing.T, path string, swapped bool) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := UnmarshalSuperblock(raw)
	if err != nil {
		t.Fatal(err)
	}
	again, err := sb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, raw) {
		t.Error("Marshal does not reproduce the reference superblock")
	}
	want := EndianLittle
	if swapped {
		want = EndianBig
	}
	if sb.Endianness != want || sb.Heuristic {
		t.Errorf("endianness %v (heuristic %v), want %v", sb.Endianness, sb.Heuristic, want)
	}
	for i, p := range sb.Parts {
		if p.Size == 0 || p.Size > 1<<30 {
			t.Errorf("part %d: size %d not decoded", i, p.Size)
		}
	}
}
