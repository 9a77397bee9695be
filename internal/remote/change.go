package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/keyfile"
)

// Setting is one option Add writes. Value is a string, a bool or a
// []string, written as g_key_file_set_string, _boolean and _string_list
// write them.
type Setting struct {
	Key   string
	Value any
}

// Mode says what Add does when the remote already exists.
type Mode int

const (
	// Fail: an existing remote is an ExistsError.
	Fail Mode = iota
	// IfNotExists: an existing remote is left as it is.
	IfNotExists
	// Replace: an existing remote's options are all replaced.
	Replace
)

// Add configures remote name with url and settings, in this order:
// url (or metalink, for a "metalink=" URL), then each setting. Only the
// repository's own remotes count as existing, not its parents'. A new
// remote goes to remotes.d/NAME.conf when the location has a remotes.d
// directory and core.add-remotes-config-dir (default: Location.System)
// allows it, and to the repo config otherwise.
func (c *Config) Add(ctx context.Context, mode Mode, name, url string, settings []Setting) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	cur := c.remotes[name]
	switch {
	case cur != nil && mode == IfNotExists:
		return nil
	case cur != nil && mode == Fail:
		return &ExistsError{Name: name, File: cur.File}
	case cur != nil && mode == Replace:
		return c.replace(ctx, cur, url, settings)
	}

	rm := &Remote{Name: name, opts: keyfile.New()}
	addToDir, err := c.r.Config().Bool("core", "add-remotes-config-dir", c.loc.System)
	if err != nil {
		return fmt.Errorf("core.add-remotes-config-dir: %w", errdefs.ErrInvalid)
	}
	if c.loc.RemotesDir != "" && addToDir {
		if err := os.MkdirAll(c.loc.RemotesDir, 0o755); err != nil {
			return fmt.Errorf("add remote %s: %w", name, err)
		}
		rm.File = filepath.Join(c.loc.RemotesDir, name+".conf")
	}
	setOptions(rm, url, settings)
	if rm.File != "" {
		if err := fsx.WriteFileAtomic(rm.File, rm.opts.Bytes(), 0o644, c.r.FsyncEnabled()); err != nil {
			return fmt.Errorf("add remote %s: %w", name, err)
		}
	} else {
		cfg, err := c.configCopy()
		if err != nil {
			return err
		}
		copyGroup(rm.opts, cfg, rm.Group())
		if err := c.writeConfig(ctx, cfg); err != nil {
			return err
		}
	}
	c.remotes[name] = rm
	return nil
}

// replace is impl_repo_remote_replace for an existing remote: its group
// is rebuilt from url and settings and written back where it lives.
func (c *Config) replace(ctx context.Context, rm *Remote, url string, settings []Setting) error {
	nrm := &Remote{Name: rm.Name, File: rm.File, opts: keyfile.New()}
	setOptions(nrm, url, settings)
	if nrm.File != "" {
		if err := fsx.WriteFileAtomic(nrm.File, nrm.opts.Bytes(), 0o644, c.r.FsyncEnabled()); err != nil {
			return fmt.Errorf("replace remote %s: %w", rm.Name, err)
		}
	} else {
		cfg, err := c.configCopy()
		if err != nil {
			return err
		}
		cfg.RemoveGroup(nrm.Group())
		copyGroup(nrm.opts, cfg, nrm.Group())
		if err := c.writeConfig(ctx, cfg); err != nil {
			return err
		}
	}
	c.remotes[rm.Name] = nrm
	return nil
}

// setOptions is the body of impl_repo_remote_add: url first, then the
// settings in order. Keys GLib would refuse (g_return_if_fail) are
// skipped, as GLib does after its warning.
func setOptions(rm *Remote, url string, settings []Setting) {
	g := rm.Group()
	if url != "" {
		if u, ok := strings.CutPrefix(url, "metalink="); ok {
			rm.opts.SetString(g, "metalink", u)
		} else {
			rm.opts.SetString(g, "url", url)
		}
	}
	for _, s := range settings {
		if !keyfile.ValidKeyName(s.Key) {
			continue
		}
		switch v := s.Value.(type) {
		case string:
			if strings.IndexByte(v, 0) < 0 {
				rm.opts.SetString(g, s.Key, v)
			}
		case bool:
			rm.opts.SetBool(g, s.Key, v)
		case []string:
			rm.opts.SetStringList(g, s.Key, v)
		}
	}
}

// Delete removes remote name from the repository (not from a parent) and
// deletes its keyring NAME.trustedkeys.gpg. With ifExists a missing remote
// is not an error.
func (c *Config) Delete(ctx context.Context, name string, ifExists bool) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	rm := c.remotes[name]
	if rm == nil {
		if ifExists {
			return nil
		}
		return &NotFoundError{Name: name}
	}
	if rm.File != "" {
		if err := os.Remove(rm.File); err != nil {
			return fmt.Errorf("delete remote %s: %w", name, err)
		}
	} else {
		cfg, err := c.configCopy()
		if err != nil {
			return err
		}
		if cfg.RemoveGroup(rm.Group()) {
			if err := c.writeConfig(ctx, cfg); err != nil {
				return err
			}
		}
	}
	keyring := filepath.Join(c.r.Path(), name+".trustedkeys.gpg")
	if err := os.Remove(keyring); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete remote %s keyring: %w", name, err)
	}
	delete(c.remotes, name)
	return nil
}

// configCopy is ostree_repo_copy_config: the config as libostree holds it,
// loaded without comments.
func (c *Config) configCopy() (*keyfile.File, error) {
	cfg, err := keyfile.Parse(c.r.Config().Bytes())
	if err != nil {
		return nil, fmt.Errorf("repo config: %w", err)
	}
	cfg.StripComments()
	return cfg, nil
}

// writeConfig is ostree_repo_write_config: it refuses a config that
// defines a remote already defined in a remotes.d file.
func (c *Config) writeConfig(ctx context.Context, cfg *keyfile.File) error {
	for _, g := range cfg.Groups() {
		m := groupRe.FindStringSubmatch(g)
		if m == nil {
			continue
		}
		if cur := c.remotes[m[1]]; cur != nil && cur.File != "" {
			return fmt.Errorf("remote %q already defined in %s: %w", m[1], cur.File, errdefs.ErrExists)
		}
	}
	if err := c.r.WriteConfig(ctx, cfg); err != nil {
		return fmt.Errorf("write repo config: %w", err)
	}
	return nil
}
