package repocmd

import (
	"fmt"
	"strings"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/repo"
)

// Config sets up `ostree config`.
func Config(in *clikit.Invocation) func([]string) error {
	var group string
	in.String("group", 0, "", "Group name", &group)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) == 0 {
			return clikit.Usage("OPERATION must be specified")
		}
		op := args[0]
		// args excludes the program and command words ostree counts.
		correct := 2
		if op == "set" {
			correct = 3
		}
		if len(args) > correct {
			return clikit.Usage("Too many arguments given")
		}
		// split finds GROUP and KEY: --group, or the text around the first
		// dot of SECTION.KEY.
		split := func(missing string) (string, string, error) {
			if group != "" {
				if len(args) < 2 {
					return "", "", fmt.Errorf("%s", missing)
				}
				return group, args[1], nil
			}
			if len(args) < 2 {
				return "", "", fmt.Errorf("KEY must be specified")
			}
			g, k, ok := strings.Cut(args[1], ".")
			if !ok {
				return "", "", fmt.Errorf("Key must be of the form \"sectionname.keyname\"")
			}
			return g, k, nil
		}
		switch op {
		case "get":
			g, k, err := split("Group name and key must be specified")
			if err != nil {
				return err
			}
			cfg := r.Config()
			v, ok := cfg.String(g, k)
			if !ok {
				if !cfg.HasGroup(g) {
					return fmt.Errorf("Key file does not have group “%s”", g)
				}
				return fmt.Errorf("Key file does not have key “%s” in group “%s”", k, g)
			}
			fmt.Fprintln(in.Stdout, v)
			return nil
		case "set":
			if len(args) < 3 {
				if group != "" {
					return fmt.Errorf("GROUP name, KEY and VALUE must be specified")
				}
				return fmt.Errorf("KEY and VALUE must be specified")
			}
			g, k, err := split("")
			if err != nil {
				return err
			}
			if !keyfile.ValidGroupName(g) || !keyfile.ValidKeyName(k) || strings.IndexByte(args[2], 0) >= 0 {
				// GLib refuses these with a warning and writes the
				// config unchanged.
				return nil
			}
			nc, err := configCopy(r)
			if err != nil {
				return err
			}
			nc.SetString(g, k, args[2])
			return r.WriteConfig(in.Ctx, nc)
		case "unset":
			g, k, err := split("Group name and key must be specified")
			if err != nil {
				return err
			}
			nc, err := configCopy(r)
			if err != nil {
				return err
			}
			// A missing group or key is success, and nothing is written.
			if !nc.RemoveKey(g, k) {
				return nil
			}
			return r.WriteConfig(in.Ctx, nc)
		}
		return fmt.Errorf("Unknown operation %s", op)
	}
}

// configCopy is ostree_repo_copy_config: the repo config as libostree
// holds it, without comments.
func configCopy(r *repo.Repo) (*keyfile.File, error) {
	nc, err := keyfile.Parse(r.Config().Bytes())
	if err != nil {
		return nil, err
	}
	nc.StripComments()
	return nc, nil
}
