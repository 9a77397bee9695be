package checkout

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gostree/gostree/internal/repo"
)

// BenchmarkCheckoutRepo checks out $CHECKOUT_BENCH_REPO's ref
// $CHECKOUT_BENCH_REF with hard links, for profiling on a large tree.
func BenchmarkCheckoutRepo(b *testing.B) {
	rp := os.Getenv("CHECKOUT_BENCH_REPO")
	if rp == "" {
		b.Skip("CHECKOUT_BENCH_REPO not set")
	}
	ctx := context.Background()
	r, err := repo.Open(ctx, rp)
	if err != nil {
		b.Fatal(err)
	}
	c, err := r.ResolveRev(ctx, os.Getenv("CHECKOUT_BENCH_REF"), false)
	if err != nil {
		b.Fatal(err)
	}
	base := filepath.Join(filepath.Dir(rp), "bench-co")
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		os.RemoveAll(base)
		b.StartTimer()
		if err := Checkout(ctx, r, c, base, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	os.RemoveAll(base)
}
