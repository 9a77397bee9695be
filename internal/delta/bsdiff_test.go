package delta

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"
)

// refPatch is a direct transcription of mendsley's bspatch loop, kept in
// the test as an independent oracle for the stream format.
func refPatch(old, patch []byte, newSize int) ([]byte, error) {
	out := make([]byte, newSize)
	var oldPos, newPos int
	for newPos < newSize {
		if len(patch) < 24 {
			return nil, errors.New("short control block")
		}
		var ctrl [3]int64
		for i := range ctrl {
			v := binary.LittleEndian.Uint64(patch[8*i:])
			ctrl[i] = int64(v &^ (1 << 63))
			if v&(1<<63) != 0 {
				ctrl[i] = -ctrl[i]
			}
		}
		patch = patch[24:]
		if ctrl[0] < 0 || ctrl[1] < 0 || newPos+int(ctrl[0]) > newSize || int(ctrl[0]) > len(patch) {
			return nil, errors.New("bad diff length")
		}
		for i := 0; i < int(ctrl[0]); i++ {
			out[newPos+i] = patch[i]
			if o := oldPos + i; o >= 0 && o < len(old) {
				out[newPos+i] += old[o]
			}
		}
		patch = patch[ctrl[0]:]
		newPos += int(ctrl[0])
		oldPos += int(ctrl[0])
		if newPos+int(ctrl[1]) > newSize || int(ctrl[1]) > len(patch) {
			return nil, errors.New("bad extra length")
		}
		copy(out[newPos:], patch[:ctrl[1]])
		patch = patch[ctrl[1]:]
		newPos += int(ctrl[1])
		oldPos += int(ctrl[2])
	}
	if len(patch) != 0 {
		return nil, errors.New("trailing patch data")
	}
	return out, nil
}

func diffRoundTrip(t *testing.T, old, new []byte) int {
	t.Helper()
	var patch bytes.Buffer
	if err := Diff(old, new, &patch); err != nil {
		t.Fatal(err)
	}
	got, err := refPatch(old, patch.Bytes(), len(new))
	if err != nil {
		t.Fatalf("patch: %v", err)
	}
	if !bytes.Equal(got, new) {
		t.Fatalf("round trip mismatch (old %d, new %d bytes)", len(old), len(new))
	}
	// The applier's bspatch must agree.
	got, err = Bspatch(old, patch.Bytes(), int64(len(new)))
	if err != nil || !bytes.Equal(got, new) {
		t.Fatalf("Bspatch: %v, equal %v", err, bytes.Equal(got, new))
	}
	// bsdiff output is meant to be compressed: count the bytes that are
	// neither zero diff bytes nor zero control bytes.
	nonZero := 0
	for _, b := range patch.Bytes() {
		if b != 0 {
			nonZero++
		}
	}
	return nonZero
}

func TestDiffRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	base := random(100 << 10)
	mutated := bytes.Clone(base)
	for range 200 {
		mutated[rng.IntN(len(mutated))]++
	}
	zeros := make([]byte, 1<<20)
	zerosShift := append(make([]byte, 1<<20-3), 1, 2, 3)
	cases := []struct {
		name     string
		old, new []byte
		maxPatch int // bound on the patch's non-zero bytes; 0: none
	}{
		{"both-empty", nil, nil, 1},
		{"old-empty", nil, []byte("hello"), 0},
		{"new-empty", []byte("hello"), nil, 0},
		{"identical", base, base, 8},
		{"prefix-added", base, append([]byte("aheader\n"), base...), 40},
		{"suffix-added", base, append(bytes.Clone(base), make([]byte, 40)...), 40},
		{"scattered-edits", base, mutated, 0},
		{"unrelated", random(5000), random(7000), 0},
		{"zero-runs", zeros, zerosShift, 40},
		{"zeros-vs-data", append(random(1000), zeros[:300000]...), append(zeros[:299000], random(3000)...), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := diffRoundTrip(t, tc.old, tc.new)
			if tc.maxPatch > 0 && n > tc.maxPatch {
				t.Errorf("patch is %d bytes, want at most %d", n, tc.maxPatch)
			}
		})
	}
}

func FuzzDiff(f *testing.F) {
	f.Add([]byte("the quick brown fox"), []byte("the quick red fox jumps"))
	f.Add([]byte{}, []byte{1, 2, 3})
	f.Add(make([]byte, 100), append(make([]byte, 90), 1))
	f.Fuzz(func(t *testing.T, old, new []byte) {
		diffRoundTrip(t, old, new)
	})
}
