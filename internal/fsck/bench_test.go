package fsck_test

import (
	"context"
	"os"
	"testing"

	"github.com/gostree/gostree/internal/fsck"
	"github.com/gostree/gostree/internal/repo"
)

// BenchmarkFsck verifies the repository named by $FSCK_BENCH_REPO (for
// example the bench/ bare-user repository holding the Debian trees).
func BenchmarkFsck(b *testing.B) {
	p := os.Getenv("FSCK_BENCH_REPO")
	if p == "" {
		b.Skip("set FSCK_BENCH_REPO to a repository")
	}
	ctx := context.Background()
	r, err := repo.Open(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		rec := &recorder{}
		if _, err := fsck.Run(ctx, r, fsck.Options{}, rec); err != nil {
			b.Fatal(err)
		}
	}
}
