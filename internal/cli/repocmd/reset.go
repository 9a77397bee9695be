package repocmd

import (
	"fmt"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/summary"
)

// Reset moves a ref to another commit. Like the reference it does
// not require the commit to be in the ref's history (test-reset-nonlinear
// resets a branch to an unrelated commit); the ref must already exist.
func Reset(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 2 {
			return clikit.Usage("A REF and COMMIT argument is required")
		}
		name, target := args[0], args[1]
		refs, err := r.ListRefs(in.Ctx, true)
		if err != nil {
			return err
		}
		known := false
		for _, e := range refs {
			if e.Refspec() == name {
				known = true
				break
			}
		}
		if !known {
			return fmt.Errorf("Invalid ref '%s'", name)
		}
		c, err := r.ResolveRev(in.Ctx, target, false)
		if err != nil {
			return err
		}
		spec, err := ref.ParseSpec(name)
		if err != nil {
			return err
		}
		txn, err := r.Begin(in.Ctx)
		if err != nil {
			return err
		}
		txn.SetRef(spec.Remote, spec.Ref, &c)
		if err := txn.Commit(in.Ctx); err != nil {
			return err
		}
		return summary.MaybeRegenerate(in.Ctx, r)
	}
}
