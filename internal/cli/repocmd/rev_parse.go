package repocmd

import (
	"fmt"
	"strings"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// RevParse sets up `ostree rev-parse`.
func RevParse(in *clikit.Invocation) func([]string) error {
	var single bool
	in.Flag("single", 'S', "If the repository has exactly one commit, then print it; any other case will result in an error", &single)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if single {
			if len(args) >= 1 {
				return clikit.Usage("Cannot specify arguments with --single")
			}
			return revParseSingle(in, r)
		}
		if len(args) == 0 {
			return clikit.Usage("REV must be specified")
		}
		var out strings.Builder
		defer func() { in.Stdout.Write([]byte(out.String())) }()
		for _, rev := range args {
			c, _, err := r.ResolveRevExt(in.Ctx, rev, false, true)
			if err != nil {
				return err
			}
			fmt.Fprintln(&out, c)
		}
		return nil
	}
}

// revParseSingle prints the only commit of the repository and its
// parents.
func revParseSingle(in *clikit.Invocation, r *repo.Repo) error {
	found := map[object.Checksum]bool{}
	for x := r; x != nil; x = x.Parent() {
		err := x.ListObjects(in.Ctx, func(n object.Name) error {
			if n.Type == object.TypeCommit {
				found[n.Checksum] = true
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	switch len(found) {
	case 0:
		return fmt.Errorf("No commit objects found")
	case 1:
		for c := range found {
			fmt.Fprintln(in.Stdout, c)
		}
		return nil
	}
	return fmt.Errorf("Multiple commit objects found")
}
