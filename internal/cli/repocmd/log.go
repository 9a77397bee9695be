package repocmd

import (
	"errors"
	"strings"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// Log sets up `ostree log`.
func Log(in *clikit.Invocation) func([]string) error {
	var raw, asJSON bool
	in.Flag("raw", 0, "Show raw variant data", &raw)
	in.OwnFlag("json", 0, "Print the commits as a JSON array", &asJSON)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("A rev argument is required")
		}
		c, _, err := r.ResolveRevExt(in.Ctx, args[0], false, true)
		if err != nil {
			return err
		}
		if asJSON {
			return logJSON(in, r, c)
		}
		// Commits are printed as they are read, so that a long history
		// streams and an error comes after what was already shown.
		for first := true; ; first = false {
			data, err := r.LoadMetadata(in.Ctx, c, object.TypeCommit)
			if err != nil {
				if !first && errors.Is(err, errdefs.ErrNotFound) {
					_, err = in.Stdout.Write([]byte("<< History beyond this commit not fetched >>\n"))
					return err
				}
				return err
			}
			v, err := gvariant.Unmarshal(object.CommitType, data)
			if err != nil {
				return err
			}
			cm, err := object.CommitFromValue(v.([]any))
			if err != nil {
				return err
			}
			var b strings.Builder
			if raw {
				b.WriteString("commit " + c.String() + "\n")
				b.WriteString(clikit.DumpVariant(object.CommitType, v))
			} else if err := clikit.DumpCommit(&b, c, cm); err != nil {
				in.Stdout.Write([]byte(b.String()))
				return err
			}
			if _, err := in.Stdout.Write([]byte(b.String())); err != nil {
				return err
			}
			if cm.Parent.IsZero() {
				return nil
			}
			c = cm.Parent
		}
	}
}

// logJSON is `log --json`: the history from c to its first commit, or to
// the first parent not stored (the last entry then names its parent).
func logJSON(in *clikit.Invocation, r *repo.Repo, c object.Checksum) error {
	out := []commitJSON{}
	for first := true; ; first = false {
		cm, err := r.LoadCommit(in.Ctx, c)
		if !first && errors.Is(err, errdefs.ErrNotFound) {
			break
		}
		if err != nil {
			return err
		}
		j, err := newCommitJSON(c, cm)
		if err != nil {
			return err
		}
		out = append(out, j)
		if cm.Parent.IsZero() {
			break
		}
		c = cm.Parent
	}
	return writeJSON(in.Stdout, out)
}
