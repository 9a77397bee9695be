package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/ref"
)

// Repo is an open repository. It is safe for concurrent use.
type Repo struct {
	path   string
	mode   Mode
	config *keyfile.File
	parent *Repo

	fsync          bool
	zlibLevel      int
	lockTimeoutSec int
	disableXattrs  bool

	// composefsWanted and verityWanted are the [ex-integrity] switches;
	// verityUnsupported remembers a filesystem without fs-verity.
	composefsWanted   Tristate
	verityWanted      Tristate
	verityUnsupported atomic.Bool
	objFD             *dirFD // objects/, for lookups relative to it (dirfd.go)
	// noTmpfile remembers a filesystem without O_TMPFILE (txn_stage.go).
	noTmpfile atomic.Bool

	dirMu     sync.Mutex
	knownDirs map[string]bool // objects/xx dirs known to exist
}

// InitOptions configure a new repository.
type InitOptions struct {
	Mode         Mode
	CollectionID string
}

var initDirs = []string{"tmp", "extensions", "state", "refs", "refs/heads", "refs/mirrors", "refs/remotes", "objects"}

// Init creates a repository at path, or opens it when one with the same
// mode already exists there.
func Init(ctx context.Context, path string, opts InitOptions) (*Repo, error) {
	if opts.CollectionID != "" {
		if err := ref.ValidateCollectionID(opts.CollectionID); err != nil {
			return nil, fmt.Errorf("%w: %v", errdefs.ErrInvalid, err)
		}
	}
	if _, err := os.Stat(filepath.Join(path, "config")); err == nil {
		r, err := Open(ctx, path)
		if err != nil {
			return nil, err
		}
		if r.mode != opts.Mode {
			return nil, fmt.Errorf("repository %s: mode is already %s", path, r.mode)
		}
		return r, nil
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("init %s: %w", path, err)
	}
	for _, d := range initDirs {
		if err := os.Mkdir(filepath.Join(path, d), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("init %s: %w", path, err)
		}
	}
	cfg := keyfile.New()
	cfg.SetValue("core", "repo_version", "1")
	cfg.SetValue("core", "mode", opts.Mode.ConfigName())
	if opts.CollectionID != "" {
		cfg.SetValue("core", "collection-id", opts.CollectionID)
	}
	if err := fsx.WriteFileAtomic(filepath.Join(path, "config"), cfg.Bytes(), 0o644, true); err != nil {
		return nil, err
	}
	return Open(ctx, path)
}

// Open opens the repository at path.
func Open(ctx context.Context, path string) (*Repo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(filepath.Join(abs, "objects")); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("opening repo %s: %w: no objects directory", path, errdefs.ErrNotFound)
	}
	cfg, err := keyfile.Load(filepath.Join(abs, "config"))
	if err != nil {
		return nil, fmt.Errorf("opening repo %s: %w", path, err)
	}
	r := &Repo{path: abs, config: cfg, knownDirs: map[string]bool{}, objFD: &dirFD{}}
	closeDirFDOnCleanup(r)
	if err := r.reloadConfig(ctx); err != nil {
		return nil, fmt.Errorf("opening repo %s: %w", path, err)
	}
	// Create what `init` makes if an older tool left it out.
	_ = os.MkdirAll(filepath.Join(abs, "tmp", "cache"), 0o755)
	return r, nil
}

func (r *Repo) reloadConfig(ctx context.Context) error {
	cfg := r.config
	v, ok := cfg.Value("core", "repo_version")
	if !ok {
		return fmt.Errorf("missing core.repo_version in config")
	}
	if v != "1" {
		return fmt.Errorf("invalid repository version %s", v)
	}
	if a, ok := cfg.Value("core", "archive"); ok && a == "true" {
		return fmt.Errorf("this version of OSTree no longer supports \"archive\" repositories; use archive-z2 instead")
	}
	mode := "bare"
	if m, ok := cfg.Value("core", "mode"); ok {
		mode = m
	}
	var err error
	if r.mode, err = ParseMode(mode); err != nil {
		return err
	}
	if r.fsync, err = cfg.Bool("core", "fsync", true); err != nil {
		return err
	}
	if r.disableXattrs, err = cfg.Bool("core", "disable-xattrs", false); err != nil {
		return err
	}
	lvl, err := cfg.Int("archive", "zlib-level", 6)
	if err != nil {
		return err
	}
	r.zlibLevel = int(min(max(lvl, 1), 9))
	t, err := cfg.Int("core", "lock-timeout-secs", 300)
	if err != nil {
		return err
	}
	r.lockTimeoutSec = int(t)
	if err := r.parseVerityConfig(); err != nil {
		return err
	}
	if p, ok := cfg.String("core", "parent"); ok && p != "" {
		if r.parent, err = Open(ctx, p); err != nil {
			return fmt.Errorf("parent repository: %w", err)
		}
	}
	return nil
}

// Path is the repository's absolute path.
func (r *Repo) Path() string { return r.path }

// Mode is the repository's storage mode.
func (r *Repo) Mode() Mode { return r.mode }

// Parent is the repository named by core.parent, or nil.
func (r *Repo) Parent() *Repo { return r.parent }

// Config returns the parsed config; edit it and call WriteConfig.
func (r *Repo) Config() *keyfile.File { return r.config }

// WriteConfig atomically replaces the config file and reloads it.
func (r *Repo) WriteConfig(ctx context.Context, cfg *keyfile.File) error {
	if err := fsx.WriteFileAtomic(filepath.Join(r.path, "config"), cfg.Bytes(), 0o644, r.fsync); err != nil {
		return err
	}
	r.config = cfg
	return r.reloadConfig(ctx)
}

// CollectionID is core.collection-id, or "".
func (r *Repo) CollectionID() string {
	s, _ := r.config.String("core", "collection-id")
	return s
}

// FsyncEnabled reports core.fsync.
func (r *Repo) FsyncEnabled() bool { return r.fsync }

// SetFsync overrides core.fsync for this process (--disable-fsync).
func (r *Repo) SetFsync(on bool) { r.fsync = on }

// ConfigBool reads a boolean from the config's core group.
func (r *Repo) ConfigBool(key string, def bool) bool {
	b, err := r.config.Bool("core", key, def)
	if err != nil {
		return def
	}
	return b
}

// reservedBytes is the space core.min-free-space-* keeps free.
func (r *Repo) reservedBytes() (uint64, error) {
	_, total, err := fsx.FreeSpace(r.path)
	if err != nil {
		return 0, err
	}
	if s, ok := r.config.String("core", "min-free-space-size"); ok {
		n, err := parseSize(s)
		if err != nil {
			return 0, fmt.Errorf("invalid core.min-free-space-size %q: %w", s, err)
		}
		return n, nil
	}
	pct, err := r.config.Int("core", "min-free-space-percent", 3)
	if err != nil {
		return 0, err
	}
	if pct < 0 || pct > 99 {
		return 0, fmt.Errorf("invalid core.min-free-space-percent '%d'", pct)
	}
	return total / 100 * uint64(pct), nil
}

// parseSize parses sizes like "500MB" as libostree does (MB, GB, TB,
// powers of 1024).
func parseSize(s string) (uint64, error) {
	units := []struct {
		suffix string
		mult   uint64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}}
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			n, err := strconv.ParseUint(strings.TrimSuffix(s, u.suffix), 10, 64)
			if err != nil {
				return 0, err
			}
			return n * u.mult, nil
		}
	}
	return 0, fmt.Errorf("expected a size with a unit of MB, GB or TB")
}
