package boot

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// Kit holds what every scenario shares: the kernel, static binaries, the
// gostree initramfs and the GRUB ISO. Build it once per test binary.
type Kit struct {
	Work      string // scratch directory for this test binary
	Cache     string // CacheDir()
	Kernel    *Kernel
	Bin       *Binaries
	Gostree   Gostree // Bin.Gostree
	Initramfs string  // BuildInitramfs with Bin.PrepareRoot
	ISO       string  // BuildISO
	Times     map[string]time.Duration
}

// NewKit fetches (or reuses) the kernel and builds the binaries, the
// initramfs and the ISO under work.
func NewKit(ctx context.Context, work string) (*Kit, error) {
	k := &Kit{Work: work, Times: map[string]time.Duration{}}
	var err error
	if k.Cache, err = CacheDir(); err != nil {
		return nil, err
	}
	steps := []struct {
		name string
		f    func() error
	}{
		{"kernel", func() (err error) { k.Kernel, err = FetchKernel(ctx, k.Cache); return }},
		{"binaries", func() (err error) { k.Bin, err = BuildBinaries(ctx, filepath.Join(work, "bin")); return }},
		{"initramfs", func() error {
			k.Initramfs = filepath.Join(work, "initramfs.img")
			return BuildInitramfs(ctx, InitramfsOptions{Kernel: k.Kernel, PrepareRoot: k.Bin.PrepareRoot}, k.Initramfs)
		}},
		{"iso", func() error { k.ISO = filepath.Join(work, "grub.iso"); return BuildISO(ctx, k.ISO) }},
	}
	for _, s := range steps {
		t0 := time.Now()
		if err := s.f(); err != nil {
			return nil, fmt.Errorf("boot kit %s: %w", s.name, err)
		}
		k.Times[s.name] = time.Since(t0)
	}
	k.Gostree = Gostree(k.Bin.Gostree)
	return k, nil
}

// TreeInputs are the inputs of BuildTree with the kit's gostree initramfs.
func (k *Kit) TreeInputs() TreeInputs {
	return TreeInputs{Kernel: k.Kernel, Gostree: k.Bin.Gostree, Initramfs: k.Initramfs}
}
