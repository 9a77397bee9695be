package delta

import (
	"bytes"
	"testing"
)

func checkMatches(t *testing.T, old, new []byte, matches []rollMatch, total int) {
	t.Helper()
	end, sum := 0, 0
	for _, m := range matches {
		if m.to < end {
			t.Fatalf("match %+v overlaps or is out of order (previous end %d)", m, end)
		}
		if m.n < rollMinMatch || !bytes.Equal(new[m.to:m.to+m.n], old[m.from:m.from+m.n]) {
			t.Fatalf("match %+v is wrong", m)
		}
		end = m.to + m.n
		sum += m.n
	}
	if sum != total {
		t.Fatalf("total %d, matches sum to %d", total, sum)
	}
}

func TestRollsumMatches(t *testing.T) {
	base := pseudoRandom(300_000, 3)
	sparse := bytes.Clone(base)
	for i := 1000; i < len(sparse); i += 10_000 {
		sparse[i] ^= 0x55
	}
	inserted := append(append(bytes.Clone(base[:100_000]), "some inserted text"...), base[100_000:]...)
	cases := []struct {
		name     string
		old, new []byte
		minCover float64 // fraction of new that must be matched
		maxCover float64
	}{
		{"identical", base, base, 1, 1},
		{"insertion", base, inserted, 0.99, 1},
		{"sparse-edits", base, sparse, 0.95, 1},
		{"prefix", base, append([]byte("aheader\n"), base...), 0.99, 1},
		{"unrelated", base, pseudoRandom(200_000, 4), 0, 0.01},
		{"empty-old", nil, base, 0, 0},
		{"small", []byte("hello"), []byte("hello"), 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			matches, total := rollsumMatches(tc.old, tc.new)
			checkMatches(t, tc.old, tc.new, matches, total)
			cover := 0.0
			if len(tc.new) > 0 {
				cover = float64(total) / float64(len(tc.new))
			}
			if cover < tc.minCover || cover > tc.maxCover {
				t.Errorf("covered %.3f of new, want [%.2f, %.2f]", cover, tc.minCover, tc.maxCover)
			}
		})
	}
}

func FuzzRollsumMatches(f *testing.F) {
	f.Add(pseudoRandom(5000, 1), []byte("x"), 100)
	f.Fuzz(func(t *testing.T, old, ins []byte, at int) {
		if len(old) == 0 {
			return
		}
		at = (at%len(old) + len(old)) % len(old)
		new := append(append(bytes.Clone(old[:at]), ins...), old[at:]...)
		matches, total := rollsumMatches(old, new)
		checkMatches(t, old, new, matches, total)
	})
}
