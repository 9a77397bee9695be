package cli

import (
	"github.com/gostree/gostree/internal/repo"
)

func setupInit(in *Invocation) func([]string) error {
	var mode, collectionID string
	in.String("mode", 0, `"bare"|"bare-user"|"bare-user-only"|"archive"`, "Initialize repository in given mode (bare, bare-user, bare-user-only, archive)", &mode)
	in.String("collection-id", 0, "COLLECTION-ID", "Globally unique ID for this repository as an collection of refs for redistribution to other repositories", &collectionID)
	return func(args []string) error {
		if mode == "" {
			mode = "bare"
		}
		m, err := repo.ParseMode(mode)
		if err != nil {
			return err
		}
		p := in.RepoArg
		if p == "" {
			p = in.Env("OSTREE_REPO")
		}
		if p == "" {
			return Usage("Command requires a --repo argument")
		}
		_, err = repo.Init(in.Ctx, p, repo.InitOptions{Mode: m, CollectionID: collectionID})
		return err
	}
}
