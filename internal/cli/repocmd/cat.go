package repocmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/repo"
)

// Cat sets up `ostree cat`.
func Cat(in *clikit.Invocation) func([]string) error {
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 2 {
			return clikit.Usage("A COMMIT and at least one PATH argument are required")
		}
		root, err := readCommitRoot(in, r, args[0])
		if err != nil {
			return err
		}
		for _, p := range args[1:] {
			if err := catPath(in, r, root, p); err != nil {
				return err
			}
		}
		return nil
	}
}

// maxSymlinkHops bounds symlink chains, where libostree would recurse
// forever.
const maxSymlinkHops = 40

// catPath copies the file at p to stdout, following symlinks inside the
// commit the way libostree's GFile does.
func catPath(in *clikit.Invocation, r *repo.Repo, root repo.TreeEntry, p string) error {
	for range maxSymlinkHops {
		e, err := r.ResolvePath(in.Ctx, root, p)
		if err != nil {
			return err
		}
		if e.Dir {
			return fmt.Errorf("Can't open directory")
		}
		h, rc, _, err := r.LoadFile(in.Ctx, e.Content)
		if err != nil {
			return err
		}
		if !h.IsSymlink() {
			_, err := io.Copy(in.Stdout, rc)
			rc.Close()
			return err
		}
		rc.Close()
		// Resolve the target against the link's directory.
		if strings.HasPrefix(h.Target, "/") {
			p = h.Target
		} else {
			parent := e.Path[:strings.LastIndexByte(e.Path, '/')+1]
			p = parent + h.Target
		}
	}
	return fmt.Errorf("Too many levels of symbolic links")
}
