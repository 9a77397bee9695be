package repo

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsverity"
	"github.com/gostree/gostree/internal/keyfile"
)

// Tristate is libostree's yes/maybe/no config value.
type Tristate int

const (
	No Tristate = iota
	Maybe
	Yes
)

func (t Tristate) String() string { return [...]string{"no", "maybe", "yes"}[t] }

// integrityGroup holds the experimental composefs and fs-verity switches.
const integrityGroup = "ex-integrity"

// ParseTristate reads "maybe" or a boolean word as libostree does.
func ParseTristate(s string) (Tristate, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "maybe":
		return Maybe, nil
	case "1", "true", "yes":
		return Yes, nil
	case "0", "false", "no", "none":
		return No, nil
	}
	return No, fmt.Errorf("Invalid tri-state value: %s", strings.TrimSpace(s))
}

func configTristate(cfg *keyfile.File, group, key string, def Tristate) (Tristate, error) {
	v, ok := cfg.Value(group, key)
	if !ok {
		return def, nil
	}
	return ParseTristate(v)
}

// parseVerityConfig reads which objects get fs-verity: [ex-integrity]
// fsverity, whose default is maybe when [ex-integrity] composefs is not
// no; when that says no, the legacy [ex-fsverity] required/opportunistic.
func (r *Repo) parseVerityConfig() error {
	cfs, err := configTristate(r.config, integrityGroup, "composefs", No)
	if err != nil {
		return err
	}
	def := No
	if cfs != No {
		def = Maybe
	}
	v, err := configTristate(r.config, integrityGroup, "fsverity", def)
	if err != nil {
		return err
	}
	if v == No {
		req, err := r.config.Bool("ex-fsverity", "required", false)
		if err != nil {
			return err
		}
		opp, err := r.config.Bool("ex-fsverity", "opportunistic", false)
		if err != nil {
			return err
		}
		switch {
		case req:
			v = Yes
		case opp:
			v = Maybe
		}
	}
	r.composefsWanted, r.verityWanted = cfs, v
	return nil
}

// ComposefsWanted is [ex-integrity] composefs.
func (r *Repo) ComposefsWanted() Tristate { return r.composefsWanted }

// VerityWanted is the fs-verity policy for new objects and composefs
// images: no, maybe (where the filesystem supports it) or yes (required).
func (r *Repo) VerityWanted() Tristate { return r.verityWanted }

// ErrVerityRequired is wrapped when the repo requires fs-verity and the
// filesystem has none.
var ErrVerityRequired = fmt.Errorf("fsverity required but filesystem does not support it: %w", errdefs.ErrNotSupported)

// SealFile enables fs-verity on the regular file at path as the repo's
// policy asks. It must not be open for writing anywhere. Under maybe a
// filesystem without verity is remembered and not asked again.
func (r *Repo) SealFile(path string) error {
	switch r.verityWanted {
	case No:
		return nil
	case Maybe:
		if r.verityUnsupported.Load() {
			return nil
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("fsverity: %w", err)
	}
	defer f.Close()
	err = fsverity.Enable(f, fsverity.Params{})
	switch {
	case err == nil, errors.Is(err, fsverity.ErrAlreadyEnabled):
		return nil
	case errors.Is(err, fsverity.ErrNotSupported):
		if r.verityWanted == Yes {
			return fmt.Errorf("%s: %w", path, ErrVerityRequired)
		}
		r.verityUnsupported.Store(true)
		return nil
	}
	return err
}

// sealStaged applies SealFile to a staged object that is a regular file
// (bare symlink objects are symlinks).
func (t *Txn) sealStaged(tmp string) error {
	if t.r.verityWanted == No {
		return nil
	}
	st, err := os.Lstat(tmp)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return nil
	}
	return t.r.SealFile(tmp)
}
