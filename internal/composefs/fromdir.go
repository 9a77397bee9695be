package composefs

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsverity"
	"github.com/gostree/gostree/internal/fsx"
)

// DirOptions control FromDir. The zero value builds what
// `mkcomposefs DIR IMAGE` builds.
type DirOptions struct {
	UseEpoch    bool // all mtimes 0 (--use-epoch)
	SkipXattrs  bool // no xattrs (--skip-xattrs)
	UserXattrs  bool // only user.* xattrs (--user-xattrs)
	SkipDevices bool // leave out block and character devices (--skip-devices)
	// NoDigest skips the fs-verity digests: external files then get no
	// metacopy digest and their path below the directory as payload,
	// instead of their digest as "xx/yyyy…".
	NoDigest bool
	// HardLinks keeps hard links (same device and inode) as links, with
	// their real link count. mkcomposefs stores every file separately
	// with link count 1.
	HardLinks bool
	// DigestStore, if set, receives a copy of every external file at its
	// payload path (--digest-store), mode 0644, fs-verity enabled where
	// the file system allows it.
	DigestStore string
	// Threads bounds concurrent digest computations (0: the CPU count).
	Threads int
}

// FromDir builds the tree of the directory dir. Regular files of up to
// RecommendedInlineContent bytes are inlined; larger ones are external,
// named by their fs-verity digest.
func FromDir(ctx context.Context, dir string, opts DirOptions) (*Node, error) {
	if opts.SkipXattrs && opts.UserXattrs {
		return nil, fmt.Errorf("skip xattrs and user xattrs conflict: %w", errdefs.ErrInvalid)
	}
	b := &dirBuilder{opts: opts, inodes: map[[2]uint64]*Node{}}
	root, err := b.load(dir, "")
	if err != nil {
		return nil, err
	}
	if root.Type() != TypeDir {
		return nil, fmt.Errorf("%s is not a directory: %w", dir, errdefs.ErrInvalid)
	}
	if err := b.fill(ctx, dir); err != nil {
		return nil, err
	}
	return root, nil
}

type dirBuilder struct {
	opts   DirOptions
	inodes map[[2]uint64]*Node
	files  []fileJob
}

type fileJob struct {
	n   *Node
	rel string // path below the source directory
}

// load reads the node at path (rel below the source) and its subtree.
func (b *dirBuilder) load(path, rel string) (*Node, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fmt.Errorf("stat %s: no unix attributes: %w", path, errdefs.ErrNotSupported)
	}
	if b.opts.HardLinks && st.Mode&TypeMask != TypeDir && st.Nlink > 1 {
		key := [2]uint64{uint64(st.Dev), st.Ino}
		if first := b.inodes[key]; first != nil {
			return &Node{Mode: first.Mode, LinkTo: first}, nil
		}
	}
	n := &Node{Mode: st.Mode, Nlink: 1, UID: st.Uid, GID: st.Gid, Size: uint64(st.Size)}
	if b.opts.HardLinks && n.Type() != TypeDir {
		n.Nlink = uint32(st.Nlink)
		if st.Nlink > 1 {
			b.inodes[[2]uint64{uint64(st.Dev), st.Ino}] = n
		}
	}
	if n.Type() == TypeChar || n.Type() == TypeBlock {
		n.Rdev = uint32(st.Rdev)
	}
	if !b.opts.UseEpoch {
		n.MtimeSec, n.MtimeNsec = st.Mtim.Sec, uint32(st.Mtim.Nsec)
	}
	if !b.opts.SkipXattrs {
		if err := b.xattrs(n, path); err != nil {
			return nil, err
		}
	}
	switch n.Type() {
	case TypeSymlink:
		target, err := os.Readlink(path)
		if err != nil {
			return nil, err
		}
		if target == "" || len(target) > MaxPayloadLen {
			return nil, fmt.Errorf("symlink %s: target of %d bytes: %w", path, len(target), errdefs.ErrInvalid)
		}
		n.SetPayload(target)
		n.Size = uint64(len(target))
	case TypeRegular:
		if n.Size > 0 {
			b.files = append(b.files, fileJob{n: n, rel: rel})
		}
	case TypeDir:
		if err := b.children(n, path, rel); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (b *dirBuilder) children(n *Node, path, rel string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("read directory %s: %w", path, err)
	}
	sort.Strings(names)
	for _, name := range names {
		cp := filepath.Join(path, name)
		if b.opts.SkipDevices {
			if fi, err := os.Lstat(cp); err == nil && fi.Mode()&(os.ModeDevice) != 0 {
				continue
			}
		}
		c, err := b.load(cp, strings.TrimPrefix(rel+"/"+name, "/"))
		if err != nil {
			return err
		}
		c.Name = name
		if err := n.AddChild(c); err != nil {
			return fmt.Errorf("%s: %w", cp, err)
		}
	}
	return nil
}

func (b *dirBuilder) xattrs(n *Node, path string) error {
	xs, err := fsx.Lxattrs(path)
	if err != nil {
		return err
	}
	budget := &wnode{path: path}
	for _, x := range xs {
		if b.opts.UserXattrs && !strings.HasPrefix(x[0], "user.") {
			continue
		}
		if err := budget.setXattr(x[0], []byte(x[1])); err != nil {
			return err
		}
		n.SetXattr(x[0], []byte(x[1]))
	}
	return nil
}

// fill computes digests, payloads and inline content of the regular
// files, concurrently, and fills the digest store.
func (b *dirBuilder) fill(ctx context.Context, dir string) error {
	g, ctx := errgroup.WithContext(ctx)
	threads := b.opts.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	g.SetLimit(threads)
	for _, job := range b.files {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return b.fillFile(job, filepath.Join(dir, job.rel))
		})
	}
	return g.Wait()
}

func (b *dirBuilder) fillFile(job fileJob, path string) error {
	n := job.n
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if b.opts.NoDigest {
		n.SetPayload(job.rel)
	} else {
		d, err := fsverity.Sum(io.LimitReader(f, int64(n.Size)))
		if err != nil {
			return fmt.Errorf("digest of %s: %w", path, err)
		}
		n.Digest = &d
		h := hex.EncodeToString(d[:])
		n.SetPayload(h[:2] + "/" + h[2:])
	}
	if n.Size <= RecommendedInlineContent {
		buf := make([]byte, n.Size)
		if _, err := f.ReadAt(buf, 0); err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		n.Content = buf
		return nil
	}
	if b.opts.DigestStore != "" {
		return storeFile(f, b.opts.DigestStore, n.Payload)
	}
	return nil
}
