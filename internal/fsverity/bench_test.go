package fsverity

import (
	"crypto/sha256"
	"fmt"
	"testing"
)

var benchSizes = []int{1 << 20, 64 << 20}

// BenchmarkSum digests in-memory data through the streaming Digest, in
// 256 KiB writes like SumParams does; compare with BenchmarkSHA256.
func BenchmarkSum(b *testing.B) {
	for _, n := range benchSizes {
		data := randomData(n, 20)
		b.Run(fmt.Sprintf("%dMiB", n>>20), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				d := New(Params{})
				for off := 0; off < n; off += 256 << 10 {
					d.Write(data[off:min(off+256<<10, n)])
				}
				d.Sum()
			}
		})
	}
}

// BenchmarkSHA256 is plain SHA-256 of the same data: the floor for Sum,
// which hashes every byte once plus the tree (about 1/128 more).
func BenchmarkSHA256(b *testing.B) {
	for _, n := range benchSizes {
		data := randomData(n, 20)
		b.Run(fmt.Sprintf("%dMiB", n>>20), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				sha256.Sum256(data)
			}
		})
	}
}
