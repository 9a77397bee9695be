package delta

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveSuffixArray sorts the suffixes of text (plus the empty one) by
// comparison.
func naiveSuffixArray(text []byte) []int32 {
	sa := make([]int32, len(text)+1)
	for i := range sa {
		sa[i] = int32(i)
	}
	slices.SortFunc(sa, func(a, b int32) int { return bytes.Compare(text[a:], text[b:]) })
	return sa
}

func TestSuffixArray(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := map[string][]byte{
		"empty":      {},
		"one":        {7},
		"two-equal":  {0, 0},
		"banana":     []byte("banana"),
		"mississipi": []byte("mississippi"),
		"zeros":      make([]byte, 1000),
		"abab":       bytes.Repeat([]byte("ab"), 500),
		"aab":        bytes.Repeat([]byte("aab"), 333),
		"descending": {9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
		"high-bytes": {255, 0, 255, 0, 255, 255},
	}
	for i := range 200 {
		n := rng.IntN(300)
		alpha := 1 + rng.IntN(4)
		if i%5 == 0 {
			alpha = 256
		}
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(rng.IntN(alpha))
		}
		cases["random-"+string(rune('a'+i%26))+string(rune('a'+i/26))] = b
	}
	for name, text := range cases {
		got := suffixArray(text)
		want := naiveSuffixArray(text)
		if !slices.Equal(got, want) {
			t.Errorf("%s (%q): got %v, want %v", name, text, got, want)
		}
	}
}

func FuzzSuffixArray(f *testing.F) {
	f.Add([]byte("mississippi"))
	f.Add([]byte{0, 0, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, text []byte) {
		if got, want := suffixArray(text), naiveSuffixArray(text); !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
}
