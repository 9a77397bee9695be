package finder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/remote"
	"github.com/gostree/gostree/internal/repo"
)

// Volume is a mounted volume the Mount finder searches.
type Volume struct {
	// Name is the volume's display name (its mount point's base name).
	Name string
	// Root is the path it is mounted at.
	Root string
}

// Mount finds repositories on mounted removable volumes
// (OstreeRepoFinderMount): on each volume, those linked from
// .ostree/repos.d (in name order), then .ostree/repo, ostree/repo and
// var/lib/flatpak/repo. A repository counts only when it lies on the
// volume's own filesystem (symlinks may not lead off it) and is not the
// repository being resolved for; its refs/heads (under its collection
// ID) and refs/mirrors refs are what it serves. Each ref comes from the
// first repository that has it, and only when a configured remote with
// that collection ID provides the keyring to verify it.
type Mount struct {
	// Volumes lists the mounted volumes; nil means SystemVolumes.
	Volumes func(ctx context.Context) ([]Volume, error)
}

// MountName is the libostree type name of Mount's results.
const MountName = "OstreeRepoFinderMount"

const mountPriority = 50

// wellKnownRepos are searched on every volume after .ostree/repos.d.
var wellKnownRepos = []string{".ostree/repo", "ostree/repo", "var/lib/flatpak/repo"}

type volumeRepo struct {
	repo *repo.Repo
	refs map[ref.CollectionRef]string
}

// Resolve implements Finder.
func (f *Mount) Resolve(ctx context.Context, refs []ref.CollectionRef, parent *repo.Repo) ([]*Result, error) {
	list := f.Volumes
	if list == nil {
		list = SystemVolumes
	}
	vols, err := list(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := remote.Load(ctx, parent)
	if err != nil {
		return nil, err
	}
	parentID, err := fileID(parent.Path())
	if err != nil {
		return nil, err
	}
	keyrings := map[string]*Remote{} // collection ID → keyring remote, nil when none
	keyringFor := func(cid string) *Remote {
		if kr, ok := keyrings[cid]; ok {
			return kr
		}
		kr := resolveKeyring(cfg, cid)
		keyrings[cid] = kr
		return kr
	}
	var results []*Result
	for _, v := range vols {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rs, err := f.resolveVolume(ctx, v, refs, parentID, keyringFor)
		if err != nil {
			continue // libostree skips volumes it cannot read
		}
		results = append(results, rs...)
	}
	sortResults(results)
	return results, nil
}

// resolveVolume returns the results from one volume.
func (f *Mount) resolveVolume(ctx context.Context, v Volume, refs []ref.CollectionRef, parentID devIno, keyringFor func(string) *Remote) ([]*Result, error) {
	rootID, err := fileID(v.Root)
	if err != nil {
		return nil, err
	}
	var repos []volumeRepo
	reposD := filepath.Join(v.Root, ".ostree", "repos.d")
	if ents, err := os.ReadDir(reposD); err == nil {
		// ReadDir sorts by name, as libostree sorts them (strcmp).
		for _, e := range ents {
			if vr, err := scanRepo(ctx, filepath.Join(reposD, e.Name()), rootID, parentID); err == nil {
				repos = append(repos, vr)
			}
		}
	}
	for _, p := range wellKnownRepos {
		if vr, err := scanRepo(ctx, filepath.Join(v.Root, p), rootID, parentID); err == nil {
			repos = append(repos, vr)
		}
	}
	type key struct{ uri, keyring string }
	byKey := map[key]*Result{}
	var order []*Result
	for _, cr := range refs {
		for _, vr := range repos {
			c, ok := vr.refs[cr]
			if !ok {
				continue
			}
			sum, err := object.ParseChecksum(c)
			if err != nil {
				continue
			}
			kr := keyringFor(cr.CollectionID)
			if kr == nil {
				continue
			}
			canonical, err := filepath.EvalSymlinks(vr.repo.Path())
			if err != nil {
				continue
			}
			uri := "file://" + canonical
			k := key{uri, kr.Keyring}
			res := byKey[k]
			if res == nil {
				res = &Result{
					Remote: Remote{
						Name:          dynamicRemoteName(uri, kr.Keyring),
						URL:           uri,
						Keyring:       kr.Keyring,
						KeyringRemote: kr.Name,
					},
					Finder:   MountName,
					Priority: mountPriority,
				}
				byKey[k] = res
				order = append(order, res)
			}
			res.setRef(cr, &sum)
			// Pulling the same ref from another repository of the same
			// volume in parallel would not help.
			break
		}
	}
	return order, nil
}

// scanRepo opens the repository at path and lists its refs, unless it is
// off the volume's filesystem or is the parent repository.
func scanRepo(ctx context.Context, path string, rootID, parentID devIno) (volumeRepo, error) {
	r, err := repo.Open(ctx, path)
	if err != nil {
		return volumeRepo{}, err
	}
	id, err := fileID(r.Path())
	if err != nil {
		return volumeRepo{}, err
	}
	if id.dev != rootID.dev {
		return volumeRepo{}, errors.New("repository is on a different file system from the mount")
	}
	if id == parentID {
		return volumeRepo{}, errors.New("repository is the same as the one we are resolving")
	}
	refs, err := r.ListCollectionRefs(ctx, repo.ListCollectionRefsOptions{ExcludeRemotes: true})
	if err != nil {
		return volumeRepo{}, err
	}
	return volumeRepo{repo: r, refs: refs}, nil
}

// resolveKeyring is ostree_repo_resolve_keyring_for_collection: the
// first configured remote (by name) whose collection-id is cid, or nil.
func resolveKeyring(cfg *remote.Config, cid string) *Remote {
	for _, name := range cfg.Names() {
		if c, err := cfg.CollectionID(name); err == nil && c == cid {
			return &Remote{Name: name, Keyring: name + ".trustedkeys.gpg"}
		}
	}
	return nil
}

type devIno struct{ dev, ino uint64 }

// fileID stats path, following symlinks.
func fileID(path string) (devIno, error) { return statID(os.Stat(path)) }

// lfileID stats path itself, not what it links to.
func lfileID(path string) (devIno, error) { return statID(os.Lstat(path)) }

func statID(st os.FileInfo, err error) (devIno, error) {
	if err != nil {
		return devIno{}, err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return devIno{}, errdefs.ErrNotSupported
	}
	return devIno{dev: uint64(sys.Dev), ino: sys.Ino}, nil
}
