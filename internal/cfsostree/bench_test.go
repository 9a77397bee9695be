package cfsostree_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/cfsostree"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// bigTree writes files files in dirs of 100, sizes 0..32 KiB (mean 16),
// one in ten a copy of another (shared objects), deterministically.
func bigTree(b *testing.B, files int) string {
	root := filepath.Join(b.TempDir(), "tree")
	rng := rand.New(rand.NewSource(1))
	buf := make([]byte, 32<<10)
	rng.Read(buf)
	for i := 0; i < files; i++ {
		d := filepath.Join(root, fmt.Sprintf("d%03d", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(d, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		n, off := rng.Intn(len(buf)), i
		if i%10 == 9 {
			off = i - 1 // same content as the previous file
		}
		data := append([]byte(fmt.Sprint(off)), buf[:n]...)
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%05d", i)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return root
}

// BenchmarkImage times building and writing the image of a 20000-file
// commit (about 320 MiB) without file digests (deploy on a filesystem
// without fs-verity) and with digests computed from the content (commit
// --generate-composefs-metadata), and reports the image size and the
// process's CPU time per image (user and system, all threads: steadier
// than ns/op on a loaded machine).
func BenchmarkImage(b *testing.B) {
	ctx := context.Background()
	r := newRepo(b, repo.ModeBareUser)
	c := commitTree(b, r, "big", bigTree(b, 20000), commitOpts{canonical: true})
	cm, err := r.LoadCommit(ctx, c)
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range []cfsostree.Verity{cfsostree.VerityNone, cfsostree.VerityMeasured, cfsostree.VerityRequired} {
		b.Run(v.String(), func(b *testing.B) {
			var size int64
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				size = imageSize(b, r, cm, v)
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(size), "image-bytes")
		})
	}
}

func imageSize(b *testing.B, r *repo.Repo, cm *object.Commit, v cfsostree.Verity) int64 {
	root, err := cfsostree.Tree(context.Background(), r, cm.RootTree, cm.RootMeta, v)
	if err != nil {
		b.Fatal(err)
	}
	var w countWriter
	if _, err := cfsostree.WriteImage(&w, root); err != nil {
		b.Fatal(err)
	}
	return int64(w)
}

// cpuTime is the CPU time, user and system, the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
