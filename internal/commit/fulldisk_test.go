package commit

import (
	"bytes"
	"context"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

// TestFullDisk commits into a repo on a 2 MiB tmpfs: the commit must fail
// with an error naming the problem, publish nothing and leave a repo that
// the reference fsck accepts, and a later small commit must succeed.
func TestFullDisk(t *testing.T) {
	testutil.RequiresRoot(t)
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=2m"); err != nil {
		testutil.Skip(t, "cannot mount a tmpfs: "+err.Error())
	}
	t.Cleanup(func() { _ = syscall.Unmount(mnt, syscall.MNT_DETACH) })

	for _, mode := range []repo.Mode{repo.ModeArchive, repo.ModeBareUser} {
		t.Run(mode.String(), func(t *testing.T) {
			rp := filepath.Join(mnt, mode.String())
			r, err := repo.Init(ctx, rp, repo.InitOptions{Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(rp)
			// Keep no reserve so that the filesystem itself runs out.
			cfg, _ := keyfile.Parse(r.Config().Bytes())
			cfg.SetValue("core", "min-free-space-percent", "0")
			if err := r.WriteConfig(ctx, cfg); err != nil {
				t.Fatal(err)
			}
			src := t.TempDir()
			big := make([]byte, 4<<20)
			rand.New(rand.NewSource(1)).Read(big) // incompressible

			writeFiles(t, src, map[string]string{"small": "x"})
			if err := os.WriteFile(filepath.Join(src, "big"), big, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = Run(ctx, r, commitOpts(TreeSource{"dir", src}))
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), "no space left on device") {
				t.Fatalf("commit onto a full disk: %v", err)
			}
			if n := countObjects(t, r); n != 0 {
				t.Errorf("%d objects published by a failed commit", n)
			}
			if _, err := r.ResolveRev(ctx, "test", false); err == nil {
				t.Error("failed commit wrote its ref")
			}
			if out, err := exec.Command(ref, "--repo="+rp, "fsck").CombinedOutput(); err != nil {
				t.Fatalf("reference fsck after ENOSPC: %v\n%s", err, out)
			}
			os.Remove(filepath.Join(src, "big"))
			if _, err := Run(ctx, r, commitOpts(TreeSource{"dir", src})); err != nil {
				t.Fatalf("small commit after freeing space: %v", err)
			}
		})
	}
}

// TestMinFreeSpace refuses a commit that would eat into the configured
// reserve, before writing anything.
func TestMinFreeSpace(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t, repo.ModeArchive)
	cfg, _ := keyfile.Parse(r.Config().Bytes())
	cfg.SetValue("core", "min-free-space-size", "100000000MB")
	if err := r.WriteConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a": string(bytes.Repeat([]byte("a"), 1000))})
	_, err := Run(ctx, r, commitOpts(TreeSource{"dir", src}))
	if err == nil || !strings.Contains(err.Error(), "min-free-space") {
		t.Fatalf("commit with a huge reserve: %v", err)
	}
	if n := countObjects(t, r); n != 0 {
		t.Errorf("%d objects published", n)
	}
}
