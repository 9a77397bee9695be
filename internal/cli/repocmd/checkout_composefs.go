package repocmd

import (
	"github.com/gostree/gostree/internal/cfsostree"
	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// checkoutComposefs is `checkout --composefs[-noverity] COMMIT FILE`:
// only the commit's composefs image is written, to FILE. --composefs
// records every file's fs-verity digest and checks the image against
// the commit's ostree.composefs.digest.v0.
func checkoutComposefs(in *clikit.Invocation, r *repo.Repo, c object.Checksum, noverity bool, dest string) error {
	v := cfsostree.VerityRequired
	if noverity {
		v = cfsostree.VerityNone
	}
	_, err := cfsostree.CheckoutImage(in.Ctx, r, c, dest, v)
	return err
}
