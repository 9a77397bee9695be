package repocmd

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/diff"
	"github.com/gostree/gostree/internal/repo"
)

// Diff sets up `ostree diff`.
func Diff(in *clikit.Invocation) func([]string) error {
	var stats, fsDiff, noXattrs bool
	ownerUID, ownerGID := -1, -1
	in.Flag("stats", 0, "Print various statistics", &stats)
	in.Flag("fs-diff", 0, "Print filesystem diff", &fsDiff)
	in.Flag("no-xattrs", 0, "Skip output of extended attributes", &noXattrs)
	in.Int("owner-uid", 0, "UID", "Use file ownership user id for local files", &ownerUID)
	in.Int("owner-gid", 0, "GID", "Use file ownership group id for local files", &ownerGID)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("REV must be specified")
		}
		src, target := args[0]+"^", args[0]
		if len(args) >= 2 {
			src, target = args[0], args[1]
		}
		if !stats && !fsDiff {
			fsDiff = true
		}
		w := bufio.NewWriter(in.Stdout)
		defer w.Flush()
		if fsDiff {
			a, err := diffSide(in, r, src)
			if err != nil {
				return err
			}
			b, err := diffSide(in, r, target)
			if err != nil {
				return err
			}
			res, err := diff.Dirs(in.Ctx, a, b, diff.Options{IgnoreXattrs: noXattrs, OwnerUID: ownerUID, OwnerGID: ownerGID})
			if err != nil {
				return err
			}
			for _, m := range res.Modified {
				fmt.Fprintf(w, "M    %s\n", m.Src.Path(a))
			}
			for _, n := range res.Removed {
				fmt.Fprintf(w, "D    %s\n", n.Path(a))
			}
			for _, n := range res.Added {
				fmt.Fprintf(w, "A    %s\n", n.Path(b))
			}
		}
		if stats {
			ca, err := resolveRevPublic(in, r, src)
			if err != nil {
				return err
			}
			cb, err := resolveRevPublic(in, r, target)
			if err != nil {
				return err
			}
			s, err := diff.CommitStats(in.Ctx, r, ca, cb)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "[A] Object Count: %d\n", s.ACount)
			fmt.Fprintf(w, "[B] Object Count: %d\n", s.BCount)
			fmt.Fprintf(w, "Common Object Count: %d\n", s.CommonCount)
			fmt.Fprintf(w, "Common Object Size: %s\n", diffFormatSize(uint64(s.CommonSize)))
		}
		return nil
	}
}

// diffSide is a directory when arg starts with "/" or "./", else a
// commit.
func diffSide(in *clikit.Invocation, r *repo.Repo, arg string) (diff.Node, error) {
	if strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, "./") {
		return diff.Dir(arg)
	}
	root, err := readCommitRoot(in, r, arg)
	if err != nil {
		return nil, err
	}
	return diff.Commit(r, root), nil
}

// diffFormatSize is g_format_size: decimal units, one decimal, and a
// no-break space before the unit.
func diffFormatSize(n uint64) string {
	if n < 1000 {
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", n)
	}
	units := []string{"kB", "MB", "GB", "TB", "PB", "EB"}
	f := float64(n) / 1000
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return fmt.Sprintf("%.1f\u00a0%s", f, units[i])
}
