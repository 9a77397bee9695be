package delta

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/gostree/gostree/internal/errdefs"
)

// ctrl encodes one bsdiff control block.
func ctrl(diff, extra, seek int64) []byte {
	var b [24]byte
	for i, v := range []int64{diff, extra, seek} {
		u := uint64(v)
		if v < 0 {
			u = uint64(-v) | 1<<63
		}
		binary.LittleEndian.PutUint64(b[8*i:], u)
	}
	return b[:]
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestBspatch(t *testing.T) {
	old := []byte("0123456789")
	cases := []struct {
		name    string
		patch   []byte
		newSize int64
		want    string // "" with err set
		err     bool
	}{
		{"empty", nil, 0, "", false},
		{"copy", cat(ctrl(10, 0, 0), make([]byte, 10)), 10, "0123456789", false},
		{"add", cat(ctrl(3, 0, 0), []byte{1, 1, 1}), 3, "123", false},
		{"extra", cat(ctrl(0, 3, 0), []byte("abc")), 3, "abc", false},
		{"seek-back", cat(ctrl(2, 1, -2), make([]byte, 2), []byte("x"), ctrl(2, 0, 0), make([]byte, 2)), 5, "01x01", false},
		{"seek-forward", cat(ctrl(0, 0, 7), ctrl(3, 0, 0), make([]byte, 3)), 3, "789", false},
		{"old-out-of-range-is-zero", cat(ctrl(0, 0, -5), ctrl(7, 0, 0), []byte{'a', 'a', 'a', 'a', 'a', 0, 0}), 7, "aaaaa01", false},
		{"past-old-end", cat(ctrl(0, 0, 9), ctrl(3, 0, 0), []byte{0, 'b', 'c'}), 3, "9bc", false},
		{"trailing-data-ignored", cat(ctrl(1, 0, 0), []byte{0}, []byte("junk")), 1, "0", false},
		{"truncated-control", ctrl(1, 0, 0)[:20], 1, "", true},
		{"truncated-diff", cat(ctrl(4, 0, 0), []byte{0}), 4, "", true},
		{"truncated-extra", cat(ctrl(0, 4, 0), []byte{0}), 4, "", true},
		{"negative-diff", cat(ctrl(-1, 0, 0)), 1, "", true},
		{"negative-extra", cat(ctrl(0, -1, 0)), 1, "", true},
		{"diff-past-new", cat(ctrl(5, 0, 0), make([]byte, 5)), 4, "", true},
		{"extra-past-new", cat(ctrl(2, 3, 0), make([]byte, 5)), 4, "", true},
		{"huge-diff", cat(ctrl(math.MaxInt32+1, 0, 0)), math.MaxInt32, "", true},
		{"seek-overflow", cat(ctrl(0, 0, math.MaxInt64), ctrl(0, 0, 1), ctrl(1, 0, 0), []byte{0}), 1, "", true},
		{"short-patch", nil, 1, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Bspatch(old, tc.patch, tc.newSize)
			if tc.err {
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
				if !errors.Is(err, errdefs.ErrCorrupt) {
					t.Errorf("error %v is not ErrCorrupt", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			// The streaming reader gives the same bytes through any
			// read size.
			r := newBspatchReader(byteReaderAt(old), int64(len(old)), tc.patch, tc.newSize)
			var out bytes.Buffer
			buf := make([]byte, 1)
			for {
				n, err := r.Read(buf)
				out.Write(buf[:n])
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if out.String() != tc.want {
				t.Errorf("byte-wise read %q, want %q", out.String(), tc.want)
			}
		})
	}
}

func TestBspatchDiffRoundTrip(t *testing.T) {
	old := pseudoRandom(300_000, 7)
	new := cat(old[:1000], []byte("inserted"), old[1000:200_000], old[250_000:], []byte("tail"))
	new[5000]++
	var patch bytes.Buffer
	if err := Diff(old, new, &patch); err != nil {
		t.Fatal(err)
	}
	got, err := Bspatch(old, patch.Bytes(), int64(len(new)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, new) {
		t.Fatal("bspatch(bsdiff(old, new)) != new")
	}
}

func FuzzBspatch(f *testing.F) {
	f.Add([]byte("0123456789"), cat(ctrl(2, 1, -2), make([]byte, 2), []byte("x"), ctrl(2, 0, 0), make([]byte, 2)), int64(5))
	f.Add([]byte("abc"), cat(ctrl(0, 0, -5), ctrl(7, 0, 0), make([]byte, 7)), int64(7))
	f.Add([]byte{}, ctrl(math.MaxInt64, 0, 0), int64(1))
	f.Fuzz(func(t *testing.T, old, patch []byte, newSize int64) {
		if newSize < 0 || newSize > 1<<20 {
			return
		}
		out, err := Bspatch(old, patch, newSize)
		if err == nil && int64(len(out)) != newSize {
			t.Fatalf("output %d bytes, want %d", len(out), newSize)
		}
	})
}
