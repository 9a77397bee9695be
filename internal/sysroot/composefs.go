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

// writeComposefs writes root/.ostree.cfs for commit c, as libostree
// 2025 built with composefs does on every deploy, whatever the config
// enables at boot: the image always exists. When the deployment's
// prepare-root.conf requires verity (enabled=verity or signed), every
// file digest is recorded and the image must match the commit's
// ostree.composefs.digest.v0; otherwise only digests of objects that
// already have fs-verity are. The image gets fs-verity as the repo's
// [ex-integrity] policy asks.
func writeComposefs(ctx context.Context, r *repo.Repo, c object.Checksum, root string) error {
	requireVerity, err := composefsRequiresVerity(root)
	if err != nil {
		return fmt.Errorf("Reading composefs config: %w", err)
	}
	v := cfsostree.VerityMeasured
	if requireVerity {
		v = cfsostree.VerityRequired
	}
	_, err = cfsostree.CheckoutImage(ctx, r, c, filepath.Join(root, ComposefsName), v)
	return err
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
