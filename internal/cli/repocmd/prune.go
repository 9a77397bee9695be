package repocmd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/datetime"
	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/prune"
)

// Prune sets up `ostree prune`.
func Prune(in *clikit.Invocation) func([]string) error {
	var noPrune, refsOnly, staticDeltasOnly, commitOnly bool
	depth := -1
	var deleteCommit, keepYoungerThan string
	var retain, only []string
	in.Flag("no-prune", 0, "Only display unreachable objects; don't delete", &noPrune)
	in.Flag("refs-only", 0, "Only compute reachability via refs", &refsOnly)
	in.Int("depth", 0, "DEPTH", "Only traverse DEPTH parents for each commit (default: -1=infinite)", &depth)
	in.String("delete-commit", 0, "COMMIT", "Specify a commit to delete", &deleteCommit)
	in.String("keep-younger-than", 0, "DATE", "Prune all commits older than the specified date", &keepYoungerThan)
	in.Flag("static-deltas-only", 0, "Change the behavior of delete-commit and keep-younger-than to prune only static deltas", &staticDeltasOnly)
	in.Strings("retain-branch-depth", 0, "BRANCH=DEPTH", "Additionally retain BRANCH=DEPTH commits", &retain)
	in.Strings("only-branch", 0, "BRANCH", "Only prune BRANCH (may be specified multiple times)", &only)
	in.Flag("commit-only", 0, "Only traverse and delete commit objects.", &commitOnly)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if deleteCommit != "" {
			if noPrune {
				return clikit.Usage("Cannot specify both --delete-commit and --no-prune")
			}
			// Like the reference, COMMIT is a checksum, not a rev.
			c, err := object.ParseChecksum(deleteCommit)
			if err != nil && !staticDeltasOnly {
				return prune.NoSuchCommitError(deleteCommit)
			}
			if staticDeltasOnly {
				err = prune.PruneStaticDeltas(in.Ctx, r, &c)
			} else {
				err = prune.DeleteCommit(in.Ctx, r, c)
			}
			if err != nil {
				return err
			}
		} else if staticDeltasOnly {
			return errors.New("--static-deltas-only requires --delete-commit; see https://github.com/ostreedev/ostree/issues/1479")
		}
		opts := prune.Options{NoPrune: noPrune, RefsOnly: refsOnly, Depth: depth, CommitOnly: commitOnly, OnlyBranches: only}
		if keepYoungerThan != "" {
			ts, err := datetime.Parse(keepYoungerThan, time.Now())
			if err != nil {
				return fmt.Errorf("Could not parse '%s'", keepYoungerThan)
			}
			opts.KeepYoungerThan = &ts
		}
		for _, bd := range retain {
			branch, ds, ok := strings.Cut(bd, "=")
			if !ok {
				return fmt.Errorf("Invalid value %s, must specify BRANCH=DEPTH", bd)
			}
			d, err := parseDepth(ds)
			if err != nil {
				return err
			}
			if opts.RetainBranchDepth == nil {
				opts.RetainBranchDepth = map[string]int{}
			}
			opts.RetainBranchDepth[branch] = d
		}
		res, err := prune.Prune(in.Ctx, r, opts)
		if err != nil {
			return err
		}
		if commitOnly {
			in.Printf("Total (commit only) objects: %d\n", res.Total)
		} else {
			in.Printf("Total objects: %d\n", res.Total)
		}
		switch {
		case res.Pruned == 0:
			in.Printf("No unreachable objects\n")
		case noPrune:
			in.Printf("Would delete: %d objects, freeing %s\n", res.Pruned, clikit.FormatSizeGLib(uint64(res.Freed)))
		default:
			in.Printf("Deleted %d objects, %s freed\n", res.Pruned, clikit.FormatSizeGLib(uint64(res.Freed)))
		}
		return nil
	}
}

// parseDepth parses DEPTH of --retain-branch-depth like g_ascii_strtoll:
// leading digits count, and a value with none is invalid.
func parseDepth(s string) (int, error) {
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || end == 0 && (s[end] == '-' || s[end] == '+')) {
		end++
	}
	n, err := strconv.ParseInt(s[:end], 10, 32)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return 0, fmt.Errorf("Out of range depth %s", s)
		}
		return 0, fmt.Errorf("Invalid depth %s: %w", s, errdefs.ErrInvalid)
	}
	return int(n), nil
}
