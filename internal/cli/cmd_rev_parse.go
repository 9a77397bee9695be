package cli

import (
	"fmt"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

func setupRevParse(in *Invocation) func([]string) error {
	var single bool
	in.Flag("single", 'S', "If the repository has exactly one commit, then print it; any other case will result in an error", &single)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if single {
			return revParseSingle(in, r)
		}
		if len(args) == 0 {
			return Usage("REV must be specified")
		}
		for _, rev := range args {
			c, err := r.ResolveRev(in.Ctx, rev, false)
			if err != nil {
				return err
			}
			fmt.Fprintln(in.Stdout, c)
		}
		return nil
	}
}

// revParseSingle prints the repository's only commit.
func revParseSingle(in *Invocation, r *repo.Repo) error {
	var found []object.Checksum
	err := r.ListObjects(in.Ctx, func(n object.Name) error {
		if n.Type == object.TypeCommit {
			found = append(found, n.Checksum)
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch len(found) {
	case 0:
		return fmt.Errorf("No commits found in repository")
	case 1:
		fmt.Fprintln(in.Stdout, found[0])
		return nil
	}
	return fmt.Errorf("Multiple commits found in repository")
}
