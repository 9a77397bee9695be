package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/ref"
	"github.com/gostree/gostree/internal/repo"
)

// Location says where a repository's remotes live besides its config file.
type Location struct {
	// RemotesDir is the remotes.d directory read for *.conf files, and
	// where Add writes new remotes when core.add-remotes-config-dir allows
	// it; "" when the repository has none.
	RemotesDir string
	// System marks the system repository (or one reached through a
	// sysroot), for which core.add-remotes-config-dir defaults to true.
	System bool
}

// DefaultLocation is the location of a repository opened by path: the
// system repository /ostree/repo reads /etc/ostree/remotes.d; any other
// repository has only its config file.
func DefaultLocation(r *repo.Repo) Location {
	if sameFile(r.Path(), "/ostree/repo") {
		return Location{RemotesDir: "/etc/ostree/remotes.d", System: true}
	}
	return Location{}
}

// SysrootLocation is the location of the repository of the sysroot at
// path, as `ostree remote add --sysroot=PATH` opens it. A physical sysroot
// (one without a "sysroot" entry, so not a deployment) keeps its remotes
// in the repo config; a deployment root keeps them in its
// etc/ostree/remotes.d.
func SysrootLocation(sysroot string) Location {
	if _, err := os.Lstat(filepath.Join(sysroot, "sysroot")); errors.Is(err, fs.ErrNotExist) {
		return Location{System: true}
	}
	return Location{RemotesDir: filepath.Join(sysroot, "etc", "ostree", "remotes.d"), System: true}
}

func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false
	}
	return os.SameFile(sa, sb)
}

// Remote is one configured remote. Its options are a private copy: change
// remotes through Config.
type Remote struct {
	Name string
	// File is the remotes.d file that defines the remote, or "" when the
	// remote is in the repo config.
	File string
	opts *keyfile.File // holds exactly the remote's group
}

// GroupName is the config group of the remote NAME: `remote "NAME"`.
func GroupName(name string) string { return `remote "` + name + `"` }

// Group is the remote's config group.
func (rm *Remote) Group() string { return GroupName(rm.Name) }

// Keys lists the remote's option keys in file order.
func (rm *Remote) Keys() []string { return rm.opts.Keys(rm.Group()) }

// String returns an option with keyfile escapes undone.
func (rm *Remote) String(key string) (string, bool) { return rm.opts.String(rm.Group(), key) }

// StringList returns a ";"-separated list option.
func (rm *Remote) StringList(key string) ([]string, bool) {
	return rm.opts.StringList(rm.Group(), key)
}

// Bool returns a boolean option, or def when it is not set.
func (rm *Remote) Bool(key string, def bool) (bool, error) {
	return rm.opts.Bool(rm.Group(), key, def)
}

// Config is the remote configuration of one repository, with that of its
// parent repositories. It is a snapshot: Add and Delete update it, but
// changes made by other processes need a new Load. A Config is not safe
// for concurrent use.
type Config struct {
	r       *repo.Repo
	loc     Location
	remotes map[string]*Remote
	parent  *Config
}

// Error classes, for errors.Is.
var (
	// ErrNotFound: no remote has the name.
	ErrNotFound = fmt.Errorf("remote: %w", errdefs.ErrNotFound)
	// ErrExists: Add found a remote with the name already configured.
	ErrExists = fmt.Errorf("remote: %w", errdefs.ErrExists)
)

// NotFoundError reports a remote that is not configured.
type NotFoundError struct{ Name string }

func (e *NotFoundError) Error() string { return fmt.Sprintf("remote %q not found", e.Name) }

// Is classifies the error as ErrNotFound and errdefs.ErrNotFound.
func (e *NotFoundError) Is(target error) bool {
	return target == ErrNotFound || target == errdefs.ErrNotFound
}

// ExistsError reports an Add of a remote that is already configured.
type ExistsError struct {
	Name string
	File string // where it is defined, "" for the repo config
}

func (e *ExistsError) Error() string {
	where := e.File
	if where == "" {
		where = "(in config)"
	}
	return fmt.Sprintf("remote configuration for %q already exists: %s", e.Name, where)
}

// Is classifies the error as ErrExists and errdefs.ErrExists.
func (e *ExistsError) Is(target error) bool {
	return target == ErrExists || target == errdefs.ErrExists
}

// Load reads the remotes of r and of its parent repositories, at the
// location DefaultLocation gives.
func Load(ctx context.Context, r *repo.Repo) (*Config, error) {
	return LoadAt(ctx, r, DefaultLocation(r))
}

// LoadAt reads the remotes of r with an explicit location (for a
// repository reached through a sysroot).
func LoadAt(ctx context.Context, r *repo.Repo, loc Location) (*Config, error) {
	c := &Config{r: r, loc: loc}
	if err := c.reload(); err != nil {
		return nil, err
	}
	if p := r.Parent(); p != nil {
		pc, err := Load(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("parent repository: %w", err)
		}
		c.parent = pc
	}
	return c, nil
}

var groupRe = regexp.MustCompile(`^remote "(.+)"$`)

// reload rebuilds the remote table from the repo config and remotes.d,
// as reload_remote_config does.
func (c *Config) reload() error {
	c.remotes = map[string]*Remote{}
	if err := c.addFromKeyfile(c.r.Config(), ""); err != nil {
		return err
	}
	if c.loc.RemotesDir == "" {
		return nil
	}
	ents, err := os.ReadDir(c.loc.RemotesDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read remotes: %w", err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".conf") {
			continue
		}
		p := filepath.Join(c.loc.RemotesDir, e.Name())
		kf, err := keyfile.Load(p)
		if err != nil {
			return fmt.Errorf("read remotes: %w", err)
		}
		if err := c.addFromKeyfile(kf, p); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) addFromKeyfile(kf *keyfile.File, file string) error {
	var found []*Remote
	for _, g := range kf.Groups() {
		m := groupRe.FindStringSubmatch(g)
		if m == nil {
			continue
		}
		rm := &Remote{Name: m[1], File: file, opts: keyfile.New()}
		copyGroup(kf, rm.opts, g)
		if _, dup := c.remotes[rm.Name]; dup {
			return fmt.Errorf("multiple specifications found for remote %q", rm.Name)
		}
		found = append(found, rm)
	}
	for _, rm := range found {
		c.remotes[rm.Name] = rm
	}
	return nil
}

// copyGroup is ot_keyfile_copy_group: the raw values of group's keys, in
// order.
func copyGroup(src, dst *keyfile.File, group string) {
	for _, k := range src.Keys(group) {
		v, _ := src.Value(group, k)
		dst.SetValue(group, k, v)
	}
}

// Names lists the remotes of the repository and its parents, sorted.
func (c *Config) Names() []string {
	seen := map[string]bool{}
	for x := c; x != nil; x = x.parent {
		for n := range x.remotes {
			seen[n] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Get returns the remote NAME of this repository or, failing that, of the
// nearest parent that has it.
func (c *Config) Get(name string) (*Remote, error) {
	for x := c; x != nil; x = x.parent {
		if rm := x.remotes[name]; rm != nil {
			return rm, nil
		}
	}
	return nil, &NotFoundError{Name: name}
}

// IsFileURL reports a "remote" named by a file:// URL, which pull accepts
// in place of a configured remote.
func IsFileURL(name string) bool { return strings.HasPrefix(name, "file://") }

// Option returns the string option key of remote name, or def when the
// remote does not set it (ostree_repo_get_remote_option): a parent
// repository's setting of the same remote is used first. A file:// name
// has no options.
func (c *Config) Option(name, key, def string) (string, error) {
	v, ok, err := lookup(c, name, func(rm *Remote) (string, bool) { return rm.String(key) })
	if err != nil {
		return "", err
	}
	if !ok {
		return def, nil
	}
	return v, nil
}

// ListOption returns the list option key of remote name, or nil.
func (c *Config) ListOption(name, key string) ([]string, error) {
	v, ok, err := lookup(c, name, func(rm *Remote) ([]string, bool) { return rm.StringList(key) })
	if err != nil || !ok {
		return nil, err
	}
	return v, nil
}

// BoolOption returns the boolean option key of remote name, or def.
func (c *Config) BoolOption(name, key string, def bool) (bool, error) {
	rm, ok, err := lookup(c, name, func(rm *Remote) (*Remote, bool) { return rm, rm.opts.Has(rm.Group(), key) })
	if err != nil || !ok {
		return def, err
	}
	b, err := rm.Bool(key, def)
	if err != nil {
		return false, fmt.Errorf("remote %q option %s: %w", name, key, errdefs.ErrInvalid)
	}
	return b, nil
}

// lookup finds key in the first of c and its parents that defines remote
// name and sets key; it fails only when no repository has the remote.
func lookup[T any](c *Config, name string, get func(*Remote) (T, bool)) (T, bool, error) {
	var zero T
	if IsFileURL(name) {
		return zero, false, nil
	}
	found := false
	for x := c; x != nil; x = x.parent {
		rm := x.remotes[name]
		if rm == nil {
			continue
		}
		found = true
		if v, ok := get(rm); ok {
			return v, true, nil
		}
	}
	if !found {
		return zero, false, &NotFoundError{Name: name}
	}
	return zero, false, nil
}

// URL returns the url option of remote name; a file:// name is its own
// URL.
func (c *Config) URL(name string) (string, error) {
	if IsFileURL(name) {
		return name, nil
	}
	u, ok, err := lookup(c, name, func(rm *Remote) (string, bool) { return rm.String("url") })
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("no \"url\" option in remote %q: %w", name, errdefs.ErrNotFound)
	}
	return u, nil
}

// GPGVerify reports whether commits from remote name are GPG-verified:
// gpg-verify defaults to true, and file:// names are never verified.
func (c *Config) GPGVerify(name string) (bool, error) {
	if IsFileURL(name) {
		return false, nil
	}
	return c.BoolOption(name, "gpg-verify", true)
}

// CollectionID returns the remote's collection-id option, or "".
func (c *Config) CollectionID(name string) (string, error) {
	return c.Option(name, "collection-id", "")
}

// InvalidNameError reports a name that cannot name a remote.
type InvalidNameError struct{ Name string }

func (e *InvalidNameError) Error() string { return fmt.Sprintf("invalid remote name %s", e.Name) }

// Is classifies the error as errdefs.ErrInvalid.
func (e *InvalidNameError) Is(target error) bool { return target == errdefs.ErrInvalid }

// ValidateName checks a remote name; a bad one is an *InvalidNameError.
func ValidateName(name string) error {
	if err := ref.ValidateRemote(name); err != nil {
		return &InvalidNameError{Name: name}
	}
	return nil
}
