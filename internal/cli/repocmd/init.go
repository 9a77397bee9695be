package repocmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/repo"
)

// Init sets up `ostree init`.
func Init(in *clikit.Invocation) func([]string) error {
	var mode, collectionID string
	in.String("mode", 0, "", "Initialize repository in given mode (bare, bare-user, bare-user-only, archive)", &mode)
	in.String("collection-id", 0, "COLLECTION-ID", "Globally unique ID for this repository as an collection of refs for redistribution to other repositories", &collectionID)
	return func(args []string) error {
		p := in.RepoArg
		if p == "" {
			p = in.Env("OSTREE_REPO")
		}
		if p == "" {
			return clikit.UsageError{Msg: "Command requires a --repo argument", Bare: true}
		}
		if mode == "" {
			mode = "bare"
		}
		m, err := repo.ParseMode(mode)
		if err != nil {
			return fmt.Errorf("Invalid mode '%s' in repository configuration", mode)
		}
		if collectionID != "" {
			if err := ref.ValidateCollectionID(collectionID); err != nil {
				return fmt.Errorf("Invalid collection ID %s", collectionID)
			}
		}
		// Like ostree_repo_create, an existing repository is left as it is:
		// neither its mode nor its collection ID changes.
		if _, err := os.Stat(filepath.Join(p, "config")); err == nil {
			_, err := repo.Open(in.Ctx, p)
			return err
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		_, err = repo.Init(in.Ctx, p, repo.InitOptions{Mode: m, CollectionID: collectionID})
		return err
	}
}
