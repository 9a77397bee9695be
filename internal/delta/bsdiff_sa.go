package delta

// This file builds suffix arrays with SA-IS (Nong, Zhang and Chan, "Two
// efficient algorithms for linear time suffix array construction", 2011),
// written for bsdiff's needs: the text is followed by a virtual sentinel that
// sorts before every symbol, so the result has len(text)+1 entries and
// starts with len(text), the empty suffix, as in qsufsort's output that
// bsdiff's search expects. Indices are int32: bsdiff inputs are capped far
// below 2 GiB by max-bsdiff-size.

// suffixArray returns the suffix array of text plus its sentinel.
func suffixArray(text []byte) []int32 {
	sa := make([]int32, len(text)+1)
	sais(text, sa, 256)
	return sa
}

// typeBits records for each position 0..n whether the suffix starting there
// is S-type (smaller than the next suffix); position n, the sentinel, is S.
type typeBits []uint64

func (t typeBits) isS(i int) bool { return t[i>>6]&(1<<(uint(i)&63)) != 0 }
func (t typeBits) setS(i int)     { t[i>>6] |= 1 << (uint(i) & 63) }

// isLMS reports whether i is a leftmost S position: S-type after an L-type.
func (t typeBits) isLMS(i int) bool { return i > 0 && t.isS(i) && !t.isS(i-1) }

// sais fills sa (len(s)+1 entries) with the suffix array of s followed by a
// virtual sentinel; every symbol of s is in [0, k).
func sais[T byte | int32](s []T, sa []int32, k int) {
	n := len(s)
	sa[0] = int32(n)
	if n == 0 {
		return
	}
	if n == 1 {
		sa[1] = 0
		return
	}
	t := make(typeBits, (n+1+63)/64)
	t.setS(n)
	// s[n-1] > sentinel, so n-1 is L-type.
	for i := n - 2; i >= 0; i-- {
		if s[i] < s[i+1] || (s[i] == s[i+1] && t.isS(i+1)) {
			t.setS(i)
		}
	}
	counts := make([]int32, k)
	for _, c := range s {
		counts[c]++
	}
	bkt := make([]int32, k)

	// Stage 1: sort the LMS substrings by inducing from their unsorted
	// positions at the ends of their buckets.
	for i := 1; i <= n; i++ {
		sa[i] = -1
	}
	bucketEnds(counts, bkt)
	for i := n - 1; i >= 1; i-- {
		if t.isLMS(i) {
			bkt[s[i]]--
			sa[bkt[s[i]]] = int32(i)
		}
	}
	induceL(s, sa, t, counts, bkt)
	induceS(s, sa, t, counts, bkt)

	// Compact the sorted LMS positions (the sentinel first) into sa[:n1].
	n1 := 0
	for i := 0; i <= n; i++ {
		if p := int(sa[i]); t.isLMS(p) || p == n {
			sa[n1] = sa[i]
			n1++
		}
	}
	// Name the LMS substrings: equal substrings get equal names. Names go
	// to sa[n1+pos/2], distinct because LMS positions are at least 2 apart.
	for i := n1; i <= n; i++ {
		sa[i] = -1
	}
	name, prev := int32(0), -1
	for i := 0; i < n1; i++ {
		pos := int(sa[i])
		if prev < 0 || !equalLMS(s, t, pos, prev) {
			name++
			prev = pos
		}
		sa[n1+pos/2] = name - 1
	}
	j := n
	for i := n; i >= n1; i-- {
		if sa[i] >= 0 {
			sa[j] = sa[i]
			j--
		}
	}

	// Stage 2: sort the LMS suffixes, recursing when names repeat. s1 ends
	// with the sentinel's name 0; the recursion treats it as its virtual
	// sentinel.
	sa1 := sa[:n1]
	s1 := sa[n+1-n1:]
	if int(name) < n1 {
		sais(s1[:n1-1], sa1, int(name))
	} else {
		for i := 0; i < n1; i++ {
			sa1[s1[i]] = int32(i)
		}
	}

	// Stage 3: place the sorted LMS suffixes at their bucket ends and induce
	// the full order.
	j = 0
	for i := 1; i <= n; i++ {
		if t.isLMS(i) || i == n {
			s1[j] = int32(i)
			j++
		}
	}
	for i := 0; i < n1; i++ {
		sa1[i] = s1[sa1[i]]
	}
	for i := n1; i <= n; i++ {
		sa[i] = -1
	}
	bucketEnds(counts, bkt)
	for i := n1 - 1; i >= 1; i-- {
		p := sa[i]
		sa[i] = -1
		bkt[s[p]]--
		sa[bkt[s[p]]] = p
	}
	sa[0] = int32(n)
	induceL(s, sa, t, counts, bkt)
	induceS(s, sa, t, counts, bkt)
}

// equalLMS reports whether the LMS substrings at a and b are equal: same
// symbols and types up to and including the next LMS position.
func equalLMS[T byte | int32](s []T, t typeBits, a, b int) bool {
	n := len(s)
	for d := 0; ; d++ {
		if a+d == n || b+d == n || s[a+d] != s[b+d] || t.isS(a+d) != t.isS(b+d) {
			return false
		}
		if d > 0 && (t.isLMS(a+d) || t.isLMS(b+d)) {
			return true
		}
	}
}

// bucketEnds sets bkt[c] to one past the last slot of symbol c's bucket;
// slot 0 belongs to the sentinel.
func bucketEnds(counts, bkt []int32) {
	sum := int32(1)
	for c, n := range counts {
		sum += n
		bkt[c] = sum
	}
}

// bucketStarts sets bkt[c] to the first slot of symbol c's bucket.
func bucketStarts(counts, bkt []int32) {
	sum := int32(1)
	for c, n := range counts {
		bkt[c] = sum
		sum += n
	}
}

// induceL places the L-type suffixes, scanning left to right.
func induceL[T byte | int32](s []T, sa []int32, t typeBits, counts, bkt []int32) {
	bucketStarts(counts, bkt)
	for i := 0; i < len(sa); i++ {
		j := sa[i] - 1
		if j >= 0 && !t.isS(int(j)) {
			c := s[j]
			sa[bkt[c]] = j
			bkt[c]++
		}
	}
}

// induceS places the S-type suffixes, scanning right to left.
func induceS[T byte | int32](s []T, sa []int32, t typeBits, counts, bkt []int32) {
	bucketEnds(counts, bkt)
	for i := len(sa) - 1; i >= 0; i-- {
		j := sa[i] - 1
		if j >= 0 && t.isS(int(j)) {
			c := s[j]
			bkt[c]--
			sa[bkt[c]] = j
		}
	}
}
