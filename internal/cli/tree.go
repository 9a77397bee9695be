package cli

import (
	"context"

	"github.com/gostree/gostree/internal/cli/clikit"
)

// CommandInfo describes one command of the tree, for tests that hold
// each command's help to the reference's.
type CommandInfo struct {
	Path   []string // below the program name; empty for the top level
	Hidden bool     // hidden in the reference too
	Own    bool     // gostree's own, or below one
	// HasSubs marks a command group.
	HasSubs bool
	// OwnSubs and OwnOptions are the gostree-only subcommands and long
	// options that only gostree's help lists.
	OwnSubs, OwnOptions []string
}

// Commands lists every command, hidden and own ones included, parents
// before children.
func Commands() []CommandInfo {
	var out []CommandInfo
	var walk func(c *clikit.Command, path []string, own bool)
	walk = func(c *clikit.Command, path []string, own bool) {
		info := CommandInfo{Path: path, Hidden: c.Hidden, Own: own, HasSubs: len(c.Sub) > 0}
		for _, s := range c.Sub {
			if s.Own {
				info.OwnSubs = append(info.OwnSubs, s.Name)
			}
		}
		if c.Setup != nil {
			in := &clikit.Invocation{Ctx: context.Background(), Env: func(string) string { return "" }}
			c.Setup(in)
			for _, o := range in.Options {
				if o.Own {
					info.OwnOptions = append(info.OwnOptions, o.Long)
				}
			}
		}
		out = append(out, info)
		for _, s := range c.Sub {
			walk(s, append(append([]string{}, path...), s.Name), own || s.Own)
		}
	}
	walk(rootCommand(), nil, false)
	return out
}
