package sysroot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gostree/gostree/internal/cfsostree"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// ComposefsName is the composefs image libostree 2025 writes into every
// deployment, which ostree-prepare-root mounts when it is enabled.
const ComposefsName = ".ostree.cfs"

// prepareRootConfs are the deployment's prepare-root.conf files in load
// order; the last one present is the whole config.
var prepareRootConfs = []string{"usr/lib/ostree/prepare-root.conf", "etc/ostree/prepare-root.conf"}

// composefsVerity is where the digests of a deployment's image come
// from. libostree 2025 built with composefs writes the image on every
// deploy, whatever the config enables at boot. When the deployment's
// prepare-root.conf requires verity (enabled=verity or signed), every
// file digest is recorded and the image must match the commit's
// ostree.composefs.digest.v0; otherwise only digests of objects that
// already have fs-verity are. The image gets fs-verity as the repo's
// [ex-integrity] policy asks.
func composefsVerity(root string) (cfsostree.Verity, error) {
	requireVerity, err := composefsRequiresVerity(root)
	if err != nil {
		return 0, fmt.Errorf("Reading composefs config: %w", err)
	}
	if requireVerity {
		return cfsostree.VerityRequired, nil
	}
	return cfsostree.VerityMeasured, nil
}

// pendingComposefs is a deployment's image being built beside its
// checkout, in the repository's tmp directory (same filesystem).
type pendingComposefs struct {
	r    *repo.Repo
	c    object.Checksum
	tmp  string
	done chan error
}

// startComposefs builds d's image with the digests objects already have
// (the common case); finish redoes it when the config wants them all.
func startComposefs(ctx context.Context, r *repo.Repo, c object.Checksum, d *Deployment) *pendingComposefs {
	p := &pendingComposefs{r: r, c: c, done: make(chan error, 1),
		tmp: filepath.Join(r.Path(), "tmp", fmt.Sprintf("deploy-%s.%d-%s", d.Csum, d.Serial, ComposefsName))}
	go func() {
		_, err := cfsostree.CheckoutImage(ctx, r, c, p.tmp, cfsostree.VerityMeasured)
		p.done <- err
	}()
	return p
}

// finish waits for the image and puts it at root/.ostree.cfs, once the
// checkout has made root; on error nothing is left in tmp.
func (p *pendingComposefs) finish(ctx context.Context, root string) error {
	err := <-p.done
	defer os.Remove(p.tmp)
	if _, serr := os.Stat(root); serr != nil {
		return err // the checkout failed; its error is the one to report
	}
	v, cerr := composefsVerity(root)
	if cerr != nil {
		return cerr
	}
	if v != cfsostree.VerityMeasured {
		_, err := cfsostree.CheckoutImage(ctx, p.r, p.c, filepath.Join(root, ComposefsName), v)
		return err
	}
	if err != nil {
		return err
	}
	return os.Rename(p.tmp, filepath.Join(root, ComposefsName))
}

// composefsRequiresVerity reads [composefs] enabled from the
// deployment's prepare-root.conf: "verity" and "signed" require it, any
// other value must be a tristate.
func composefsRequiresVerity(root string) (bool, error) {
	var kf *keyfile.File
	var src string
	for _, rel := range prepareRootConfs {
		p := filepath.Join(root, rel)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return false, err
		}
		if kf, err = keyfile.Parse(b); err != nil {
			return false, fmt.Errorf("%s: %w", rel, err)
		}
		src = rel
	}
	if kf == nil {
		return false, nil
	}
	raw, ok := kf.Value("composefs", "enabled")
	switch {
	case !ok:
		return false, nil
	case raw == "signed" || raw == "verity":
		return true, nil
	}
	if _, err := repo.ParseTristate(raw); err != nil {
		return false, fmt.Errorf("%s: [composefs] enabled: %w", src, err)
	}
	return false, nil
}
