package finder

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/summary"
)

// DefaultUSBRepo is where CreateUSB puts the repository on a volume.
const DefaultUSBRepo = ".ostree/repo"

var (
	// ErrDestinationOutside: the destination repository would not be on
	// the volume.
	ErrDestinationOutside = errors.New("--destination-repo must be a descendent of MOUNT-PATH")
	// ErrDestinationIsSource: the destination repository is the source.
	ErrDestinationIsSource = errors.New("--destination-repo must not be the source repository")
)

// USBOptions configure CreateUSB.
type USBOptions struct {
	// DestinationRepo is the repository's path within the volume; ""
	// means DefaultUSBRepo.
	DestinationRepo string
	// Commit pins the (single) ref to this commit instead of the one the
	// source's ref names.
	Commit *object.Checksum
	// DisableFsync turns off fsync in the destination.
	DisableFsync bool
}

// CreateUSB is `ostree create-usb`: it copies refs (with their commits
// and what they need, no history) from src into an archive repository
// on the volume mounted at mountPath, created if need be, as collection
// refs (refs/mirrors/CID/REF); regenerates its summary; and, unless the
// repository is at one of the places the Mount finder always searches
// (.ostree/repo, ostree/repo), links it from .ostree/repos.d. The
// destination must lie inside mountPath, on its filesystem.
func CreateUSB(ctx context.Context, src *repo.Repo, mountPath string, refs []ref.CollectionRef, opts USBOptions) error {
	st, err := os.Stat(mountPath)
	if err != nil {
		return fmt.Errorf("opendir(%s): %w", mountPath, syscallError(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("opendir(%s): %w", mountPath, syscall.ENOTDIR)
	}
	mountID, err := fileID(mountPath)
	if err != nil {
		return err
	}
	dest := opts.DestinationRepo
	if dest == "" {
		dest = DefaultUSBRepo
	}
	rel := dest
	if filepath.IsAbs(dest) {
		abs, err := filepath.Abs(mountPath)
		if err != nil {
			return err
		}
		if rel, err = filepath.Rel(abs, dest); err != nil {
			return ErrDestinationOutside
		}
	}
	rel = filepath.Clean(rel)
	if rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return ErrDestinationOutside
	}
	destPath := filepath.Join(mountPath, rel)

	commits := make([]RefCommit, len(refs))
	for i, cr := range refs {
		c := opts.Commit
		if c == nil {
			if c, err = resolveCollectionRef(ctx, src, cr); err != nil {
				return err
			}
		}
		commits[i] = RefCommit{Ref: cr, Commit: c}
	}

	if err := os.MkdirAll(destPath, 0o755); err != nil {
		return err
	}
	dst, err := openOrInit(ctx, destPath)
	if err != nil {
		return err
	}
	destID, err := fileID(dst.Path())
	if err != nil {
		return err
	}
	if destID.dev != mountID.dev {
		return ErrDestinationOutside
	}
	if srcID, err := fileID(src.Path()); err == nil && srcID == destID {
		return ErrDestinationIsSource
	}
	if opts.DisableFsync {
		dst.SetFsync(false)
	}
	base := pull.Options{Mirror: true}
	if err := pullPinned(commits, &base, func(o pull.Options) error {
		_, err := pull.Pull(ctx, dst, pull.NewLocalSource(src), o)
		return err
	}); err != nil {
		return err
	}
	// The Mount finder relies on the summary to look commits up.
	if err := summary.Regenerate(ctx, dst, summary.Options{}); err != nil {
		return err
	}
	if dest == ".ostree/repo" || dest == "ostree/repo" {
		return nil
	}
	return linkRepo(mountPath, rel, destID, dst.FsyncEnabled())
}

// openOrInit opens the repository at path, or creates an archive one
// when there is none (an existing repository keeps its mode, as
// ostree_repo_create_at leaves it).
func openOrInit(ctx context.Context, path string) (*repo.Repo, error) {
	if st, err := os.Stat(filepath.Join(path, "objects")); err == nil && st.IsDir() {
		return repo.Open(ctx, path)
	}
	return repo.Init(ctx, path, repo.InitOptions{Mode: repo.ModeArchive})
}

// linkRepo makes .ostree/repos.d/NN-generated point at the repository
// (rel, inside the volume), unless an entry of repos.d already is it.
// Like libostree it compares the entries themselves, so a symlink made
// earlier does not count and each run adds one.
func linkRepo(mountPath, rel string, destID devIno, sync bool) error {
	dir := filepath.Join(mountPath, ".ostree", "repos.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if id, err := lfileID(filepath.Join(dir, e.Name())); err == nil && id == destID {
			return nil
		}
	}
	target := filepath.Join("..", "..", rel)
	for i := range 100 {
		name := fmt.Sprintf("%02d-generated", i)
		err := os.Symlink(target, filepath.Join(dir, name))
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("symlinkat(.ostree/repos.d/%s → %s): %w", name, target, err)
		}
		if sync {
			return fsx.SyncDir(dir)
		}
		return nil
	}
	return fmt.Errorf("Could not find an unused symlink name for the repository: %w", errdefs.ErrExists)
}

// resolveCollectionRef is ostree_repo_resolve_collection_ref: the
// collection-ref among r's refs/heads (its own collection), refs/mirrors
// and refs/remotes of remotes configured for the collection, then its
// parent repositories'.
func resolveCollectionRef(ctx context.Context, r *repo.Repo, cr ref.CollectionRef) (*object.Checksum, error) {
	for p := r; p != nil; p = p.Parent() {
		cfg, err := remote.Load(ctx, p)
		if err != nil {
			return nil, err
		}
		refs, err := p.ListCollectionRefs(ctx, repo.ListCollectionRefsOptions{
			Match: cr.CollectionID,
			RemoteCollectionID: func(name string) (string, bool) {
				cid, err := cfg.CollectionID(name)
				return cid, err == nil && cid != ""
			},
		})
		if err != nil {
			return nil, err
		}
		if s, ok := refs[cr]; ok {
			c, err := object.ParseChecksum(strings.TrimSpace(s))
			if err != nil {
				return nil, fmt.Errorf("collection–ref %s: %w", FormatRef(cr), errdefs.ErrCorrupt)
			}
			return &c, nil
		}
	}
	return nil, fmt.Errorf("Collection–ref (%s, %s) not found: %w", cr.CollectionID, cr.Ref, errdefs.ErrNotFound)
}

// syscallError unwraps a *fs.PathError to its errno, so that messages
// read like libostree's "opendir(PATH): No such file or directory".
func syscallError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
