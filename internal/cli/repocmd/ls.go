package repocmd

import (
	"bufio"
	"fmt"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

type lsFlags struct {
	dironly, recursive, checksum, xattrs, nulOnly bool
}

// Ls sets up `ostree ls`.
func Ls(in *clikit.Invocation) func([]string) error {
	var f lsFlags
	in.Flag("dironly", 'd', "Do not recurse into directory arguments", &f.dironly)
	in.Flag("recursive", 'R', "Print directories recursively", &f.recursive)
	in.Flag("checksum", 'C', "Print checksum", &f.checksum)
	in.Flag("xattrs", 'X', "Print extended attributes", &f.xattrs)
	in.Flag("nul-filenames-only", 0, "Print only filenames, NUL separated", &f.nulOnly)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		if len(args) < 1 {
			return clikit.Usage("An COMMIT argument is required")
		}
		root, err := readCommitRoot(in, r, args[0])
		if err != nil {
			return err
		}
		w := bufio.NewWriter(in.Stdout)
		defer w.Flush()
		l := &lister{in: in, r: r, f: f, w: w}
		if len(args) == 1 {
			return l.argument(root, "/")
		}
		for _, p := range args[1:] {
			if err := l.argument(root, p); err != nil {
				return fmt.Errorf("Inspecting path '%s': %w", p, err)
			}
		}
		return nil
	}
}

// readCommitRoot is ostree_repo_read_commit: resolve a rev and load the
// root of its commit.
func readCommitRoot(in *clikit.Invocation, r *repo.Repo, rev string) (repo.TreeEntry, error) {
	c, err := resolveRevPublic(in, r, rev)
	if err != nil {
		return repo.TreeEntry{}, err
	}
	return r.CommitRoot(in.Ctx, c)
}

// resolveRevPublic is ostree_repo_resolve_rev: an unqualified ref also
// matches a remote's ref of that name.
func resolveRevPublic(in *clikit.Invocation, r *repo.Repo, rev string) (object.Checksum, error) {
	c, _, err := r.ResolveRevExt(in.Ctx, rev, false, true)
	return c, err
}

type lister struct {
	in *clikit.Invocation
	r  *repo.Repo
	f  lsFlags
	w  *bufio.Writer
}

func (l *lister) argument(root repo.TreeEntry, p string) error {
	e, err := l.r.ResolvePath(l.in.Ctx, root, p)
	if err != nil {
		return err
	}
	if err := l.print(e); err != nil {
		return err
	}
	if !e.Dir {
		return nil
	}
	switch {
	case l.f.recursive:
		return l.recurse(e, -1)
	case !l.f.dironly:
		return l.recurse(e, 1)
	}
	return nil
}

// recurse lists dir's children, descending depth levels (-1: all).
func (l *lister) recurse(dir repo.TreeEntry, depth int) error {
	if depth == 0 {
		return nil
	}
	if depth > 0 {
		depth--
	}
	t, err := l.r.LoadDirTree(l.in.Ctx, dir.Tree)
	if err != nil {
		return err
	}
	for _, child := range dir.Children(t) {
		if err := l.print(child); err != nil {
			return err
		}
		if child.Dir {
			if err := l.recurse(child, depth); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *lister) print(e repo.TreeEntry) error {
	if l.f.nulOnly {
		l.w.WriteString(e.Path)
		l.w.WriteByte(0)
		return nil
	}
	var (
		typeChar       byte
		mode, uid, gid uint32
		size           int64
		xattrs         object.Xattrs
		target         string
	)
	if e.Dir {
		m, err := l.r.LoadDirMeta(l.in.Ctx, e.Meta)
		if err != nil {
			return err
		}
		typeChar, mode, uid, gid, xattrs = 'd', m.Mode, m.UID, m.GID, m.Xattrs
	} else {
		h, rc, n, err := l.r.LoadFile(l.in.Ctx, e.Content)
		if err != nil {
			return err
		}
		rc.Close()
		mode, uid, gid, xattrs = h.Mode, h.UID, h.GID, h.Xattrs
		switch h.Mode & object.ModeFmt {
		case object.ModeLink:
			typeChar, target = 'l', h.Target
		case object.ModeReg:
			typeChar, size = '-', n
		default:
			typeChar = '?'
		}
	}
	fmt.Fprintf(l.w, "%c0%04o %d %d %6d ", typeChar, mode&^object.ModeFmt, uid, gid, size)
	if l.f.checksum {
		if e.Dir {
			fmt.Fprintf(l.w, "%s %s ", e.Tree, e.Meta)
		} else {
			fmt.Fprintf(l.w, "%s ", e.Content)
		}
	}
	if l.f.xattrs {
		l.w.WriteString("{ ")
		l.w.WriteString(printXattrs(xattrs))
		l.w.WriteString(" } ")
	}
	l.w.WriteString(e.Path)
	if typeChar == 'l' {
		l.w.WriteString(" -> " + target)
	}
	l.w.WriteByte('\n')
	return nil
}

// printXattrs formats an a(ayay) as g_variant_print(v, TRUE) does.
func printXattrs(x object.Xattrs) string {
	v := make([]any, len(x))
	for i, a := range x {
		name := append([]byte(a.Name), 0)
		v[i] = []any{name, a.Value}
	}
	return gvariant.Print(object.XattrsType, v, true)
}
