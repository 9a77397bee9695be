package cli

import (
	"fmt"
	"strings"

	"github.com/gostree/gostree/internal/keyfile"
)

func setupConfig(in *Invocation) func([]string) error {
	var group string
	in.String("group", 0, "GROUP", "Group name for remote config", &group)
	return func(args []string) error {
		if len(args) == 0 {
			return Usage("OPERATION must be specified")
		}
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		op := args[0]
		var sectionKey string
		if group == "" && len(args) > 1 {
			sectionKey = args[1]
		}
		split := func(key string) (string, string, error) {
			if group != "" {
				return group, key, nil
			}
			i := strings.LastIndexByte(key, '.')
			if i <= 0 || i == len(key)-1 {
				return "", "", fmt.Errorf("Key %s must be of the form SECTION.KEY", key)
			}
			return key[:i], key[i+1:], nil
		}
		cfg := r.Config()
		switch op {
		case "get":
			if len(args) < 2 {
				return Usage("KEY must be specified")
			}
			g, k, err := split(args[1])
			if err != nil {
				return err
			}
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
				return Usage("KEY and VALUE must be specified")
			}
			g, k, err := split(args[1])
			if err != nil {
				return err
			}
			nc, err := keyfile.Parse(cfg.Bytes())
			if err != nil {
				return err
			}
			nc.SetString(g, k, args[2])
			return r.WriteConfig(in.Ctx, nc)
		case "unset":
			if len(args) < 2 {
				return Usage("KEY must be specified")
			}
			g, k, err := split(args[1])
			if err != nil {
				return err
			}
			nc, err := keyfile.Parse(cfg.Bytes())
			if err != nil {
				return err
			}
			if !nc.HasGroup(g) {
				// ostree treats a missing group or key as success.
				return nil
			}
			nc.RemoveKey(g, k)
			return r.WriteConfig(in.Ctx, nc)
		}
		_ = sectionKey
		return fmt.Errorf("Unknown operation %s", op)
	}
}
