package staticdelta

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/delta"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// setupStaticDeltaList is `ostree static-delta list`.
func setupStaticDeltaList(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		ids, err := delta.List(r)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			in.Printf("(No static deltas)\n")
		}
		for _, id := range ids {
			in.Printf("%s\n", id)
		}
		return nil
	}
}

// setupStaticDeltaIndexes is `ostree static-delta indexes`.
func setupStaticDeltaIndexes(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		idx, err := delta.ListIndexes(r)
		if err != nil {
			return err
		}
		if len(idx) == 0 {
			in.Printf("(No static deltas indexes)\n")
		}
		for _, c := range idx {
			in.Printf("%s\n", c)
		}
		return nil
	}
}

// setupStaticDeltaReindex is `ostree static-delta reindex [--to=REV]`.
func setupStaticDeltaReindex(in *clikit.Invocation) func([]string) error {
	var to string
	in.String("to", 0, "REV", "Only update delta index to revision REV", &to)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		var target *object.Checksum
		if to != "" {
			// libostree takes --to as a checksum, not a ref.
			id, err := delta.ParseID(to)
			if err != nil || !id.From.IsZero() {
				if err == nil {
					err = fmt.Errorf("Invalid rev %s", to)
				}
				return err
			}
			target = &id.To
		}
		return delta.Reindex(in.Ctx, r, target)
	}
}

// setupStaticDeltaDelete is `ostree static-delta delete DELTA`.
func setupStaticDeltaDelete(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return errors.New("DELTA must be specified")
		}
		id, err := delta.ParseID(args[0])
		if err != nil {
			return err
		}
		return delta.Delete(r, id)
	}
}

// readSuperblockArg reads the superblock named on the command line: a
// path when it holds a "/", otherwise a delta name in the repository.
func readSuperblockArg(r *repo.Repo, arg string) ([]byte, error) {
	p := arg
	if !strings.Contains(arg, "/") {
		id, err := delta.ParseID(arg)
		if err != nil {
			return nil, err
		}
		p = filepath.Join(r.Path(), id.SuperblockPath())
		arg = id.SuperblockPath()
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, openatError(arg, err)
	}
	return b, nil
}

// openatError words a failed open as glnx_openat_rdonly does.
func openatError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("openat(%s): %w", path, err)
}
