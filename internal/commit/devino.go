package commit

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// devIno identifies a file by device and inode.
type devIno struct{ dev, ino uint64 }

// ScanHardlinks indexes the repository's loose content objects (and its
// parents') by device and inode, so that files of a hardlink checkout
// are recognized without being read (--link-checkout-speedup).
func (b *Builder) ScanHardlinks(ctx context.Context) error {
	b.devino = map[devIno]object.Checksum{}
	var chain []*repo.Repo
	for r := b.repo; r != nil; r = r.Parent() {
		chain = append(chain, r)
	}
	// Parents first, so this repo's objects win.
	for i := len(chain) - 1; i >= 0; i-- {
		if err := scanDevIno(ctx, filepath.Join(chain[i].Path(), "objects"), b.devino); err != nil {
			return err
		}
	}
	return nil
}

func scanDevIno(ctx context.Context, objdir string, out map[devIno]object.Checksum) error {
	subs, err := os.ReadDir(objdir)
	if err != nil {
		return err
	}
	for _, s := range subs {
		if len(s.Name()) != 2 || !s.IsDir() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		d, err := os.Open(filepath.Join(objdir, s.Name()))
		if err != nil {
			return err
		}
		names, err := d.Readdirnames(-1)
		if err != nil {
			d.Close()
			return err
		}
		for _, n := range names {
			if len(n) != 62+len(".file") || !strings.HasSuffix(n, ".file") {
				continue
			}
			c, err := object.ParseChecksum(s.Name() + n[:62])
			if err != nil {
				continue
			}
			var st unix.Stat_t
			if err := unix.Fstatat(int(d.Fd()), n, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				continue
			}
			out[devIno{uint64(st.Dev), st.Ino}] = c
		}
		d.Close()
	}
	return nil
}
