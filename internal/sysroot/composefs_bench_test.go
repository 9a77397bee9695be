package sysroot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/cfsostree"
	"github.com/gostree/gostree/internal/commit"
	"github.com/gostree/gostree/internal/repo"
)

// BenchmarkDeployComposefs deploys a commit of 20000 files (the usual
// test OS plus 200 directories of 100 small files) and reports how much
// of each deploy writing .ostree.cfs took: a deploy without composefs
// (libostree built without it) costs ns/op minus cfs-ns/op. cfs-cpu-ns/op
// is the process's CPU time (user and system) for that image, steadier
// than wall time on a loaded machine.
func BenchmarkDeployComposefs(b *testing.B) {
	// The image is written again into each deployment, and the
	// deployments are removed: both need them mutable.
	b.Setenv("OSTREE_SYSROOT_DEBUG", "mutable-deployments")
	ctx := context.Background()
	root := filepath.Join(b.TempDir(), "sysroot")
	if err := os.Mkdir(root, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := InitFS(ctx, root, InitFSOptions{}); err != nil {
		b.Fatal(err)
	}
	s, err := Open(root)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.InitStateroot(ctx, "testos"); err != nil {
		b.Fatal(err)
	}
	tree := filepath.Join(b.TempDir(), "tree")
	for p, c := range map[string]string{
		"usr/lib/modules/3.6.0/vmlinuz":       "a kernel\n",
		"usr/lib/modules/3.6.0/initramfs.img": "an initramfs\n",
		"usr/etc/os-release":                  "ID=testos\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tree, p)), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tree, p), []byte(c), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < 20000; i++ {
		d := filepath.Join(tree, "usr/share", fmt.Sprintf("d%03d", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(d, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(d, fmt.Sprint(i)), []byte(fmt.Sprintf("file %d\n%0*d", i, i%4096, 0)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	r, err := repo.Open(ctx, filepath.Join(root, "ostree/repo"))
	if err != nil {
		b.Fatal(err)
	}
	res, err := commit.Run(ctx, r, commit.Options{Branch: "big", Trees: []commit.TreeSource{{Kind: "dir", Arg: tree}}})
	if err != nil {
		b.Fatal(err)
	}
	s = loadSysrootB(b, root)
	b.ResetTimer()
	var cfs, cfsCPU time.Duration
	for i := 0; i < b.N; i++ {
		dr, err := s.DeployTree(ctx, DeployOptions{Stateroot: "testos", Commit: res.Commit})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		dir := s.Abs(dr.Deployment.RelPath())
		start, startCPU := time.Now(), cpuTime()
		v, err := composefsVerity(dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cfsostree.CheckoutImage(ctx, r, res.Commit, filepath.Join(dir, ComposefsName), v); err != nil {
			b.Fatal(err)
		}
		cfs += time.Since(start)
		cfsCPU += cpuTime() - startCPU
		s.discardDeployment(dr.Deployment)
		b.StartTimer()
	}
	b.ReportMetric(float64(cfs.Nanoseconds())/float64(b.N), "cfs-ns/op")
	b.ReportMetric(float64(cfsCPU.Nanoseconds())/float64(b.N), "cfs-cpu-ns/op")
}

// cpuTime is the CPU time, user and system, the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadSysrootB(b *testing.B, root string) *Sysroot {
	s, err := Open(root)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}
