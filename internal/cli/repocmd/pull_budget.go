package repocmd

import (
	"fmt"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/membudget"
	"github.com/gostree/gostree/internal/repo"
)

// logBudget prints, under --verbose, the memory budget the pull sizes
// its work by (static-delta parts decoded at once, the Go soft memory
// limit) and where it came from: core.memory-budget, the cgroup's memory
// limit or the default. An invalid core.memory-budget prints nothing
// here; applying a delta reports it.
func logBudget(in *clikit.Invocation, r *repo.Repo) {
	if !in.Verbose {
		return
	}
	if c, err := membudget.Explain(r.Config()); err == nil {
		fmt.Fprintf(in.Stderr, "memory budget: %s\n", c)
	}
}
