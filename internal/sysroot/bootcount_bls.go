package sysroot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/fsx"
)

// maxBootCountingTries bounds [sysroot] boot-counting-tries, as in
// libostree 2025.3.
const maxBootCountingTries = 5

// blsCounter is the Boot Loader Specification counter in an entry's file
// name, "NAME+LEFT[-DONE].conf"; systemd-boot renames the entry before
// each attempt, and an entry without a counter has been blessed.
type blsCounter struct {
	ok          bool
	left, done  int
	base, suffx string // "ostree-2-os" and "+1-2"
}

// parseEntryName splits an entry file name into its base and counter.
// A "+..." part that is not a valid counter belongs to the base, as the
// specification says.
func parseEntryName(name string) blsCounter {
	stem := strings.TrimSuffix(name, ".conf")
	c := blsCounter{base: stem}
	i := strings.LastIndexByte(stem, '+')
	if i < 0 {
		return c
	}
	l, d, hasDone := strings.Cut(stem[i+1:], "-")
	left, err := strconv.Atoi(l)
	if err != nil || !digits(l) {
		return c
	}
	done := 0
	if hasDone {
		if done, err = strconv.Atoi(d); err != nil || !digits(d) {
			return c
		}
	}
	return blsCounter{ok: true, left: left, done: done, base: stem[:i], suffx: stem[i:]}
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// bootCountingTries reads [sysroot] boot-counting-tries (0 when unset).
func (s *Sysroot) bootCountingTries(ctx context.Context) (int, error) {
	r, err := s.Repo(ctx)
	if err != nil {
		return 0, err
	}
	v, ok := r.Config().String("sysroot", "boot-counting-tries")
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || n > maxBootCountingTries {
		return 0, fmt.Errorf("repo config sysroot.boot-counting-tries: %q is not an integer from 0 to %d", v, maxBootCountingTries)
	}
	return n, nil
}

// entryBase is the counter-less name of the current entry of d, one of
// the loaded, non-staged deployments: the file it was read from, else the
// name s writes for its position.
func (s *Sysroot) entryBase(d *Deployment) (string, bool) {
	cur := s.nonStaged()
	for i, c := range cur {
		if c.Equal(d) {
			if c.BootConfig != nil {
				if stem := loadedStem(c.BootConfig.File); stem != "" {
					return stem, true
				}
			}
			return s.entryStem(len(cur), i, d.Stateroot), true
		}
	}
	return "", false
}

// loadedEntryBase is entryBase for a loaded sysroot, taken from the file
// d's entry was read from, which also tells apart duplicate entries.
func (s *Sysroot) loadedEntryBase(d *Deployment) (string, bool) {
	if d.BootConfig != nil {
		if stem := loadedStem(d.BootConfig.File); stem != "" {
			return stem, true
		}
	}
	return s.entryBase(d)
}

// entryFile finds the file of base in boot version bv's entries, with or
// without a counter; "" when there is none.
func (s *Sysroot) entryFile(bv int, base string) (string, blsCounter, error) {
	dir := s.Abs(fmt.Sprintf("boot/loader.%d/entries", bv))
	ents, err := readDirUnsorted(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", blsCounter{}, nil
	}
	if err != nil {
		return "", blsCounter{}, err
	}
	// A counted file wins over a blessed copy left beside it.
	var path string
	var found blsCounter
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".conf") {
			continue
		}
		if c := parseEntryName(e.Name()); c.base == base && (path == "" || c.ok) {
			path, found = filepath.Join(dir, e.Name()), c
		}
	}
	return path, found, nil
}

// entryCounterSuffix is the counter d's entry is written with in a new
// boot version: an existing entry keeps the one its file has now, a new
// deployment gets "+TRIES" when boot-counting-tries is set.
func (s *Sysroot) entryCounterSuffix(ctx context.Context, d *Deployment) (string, error) {
	if base, ok := s.entryBase(d); ok {
		_, c, err := s.entryFile(s.BootVersion, base)
		return c.suffx, err
	}
	tries, err := s.bootCountingTries(ctx)
	if err != nil || tries == 0 {
		return "", err
	}
	return fmt.Sprintf("+%d", tries), nil
}

// blsState reads the default entry's counter.
func (s *Sysroot) blsState() (BootCountState, error) {
	tries, err := s.bootCountingTries(context.Background())
	if err != nil {
		return BootCountState{}, err
	}
	var st BootCountState
	if tries > 0 {
		st.Backend = "bls"
	}
	cur := s.nonStaged()
	if len(cur) == 0 {
		return st, nil
	}
	base, _ := s.loadedEntryBase(cur[0])
	_, c, err := s.entryFile(s.BootVersion, base)
	if err != nil || !c.ok {
		return st, err
	}
	st.Backend, st.Armed, st.Left, st.FellBack = "bls", true, c.left, c.left == 0
	return st, nil
}

// blessBooted renames the booted entry without its counter. The rename
// refuses to replace an entry that already has that name.
func (s *Sysroot) blessBooted() error {
	if s.Booted == nil {
		return fmt.Errorf("marking boot good: not booted into a deployment")
	}
	base, ok := s.loadedEntryBase(s.Booted)
	if !ok {
		return fmt.Errorf("marking boot good: booted deployment %s has no boot entry", s.Booted.Name())
	}
	path, c, err := s.entryFile(s.BootVersion, base)
	if err != nil || !c.ok {
		return err
	}
	dir := filepath.Dir(path)
	dst := filepath.Join(dir, c.base+".conf")
	if err := unix.Renameat2(unix.AT_FDCWD, path, unix.AT_FDCWD, dst, unix.RENAME_NOREPLACE); err != nil {
		return fmt.Errorf("marking boot good: rename %s to %s: %w", path, filepath.Base(dst), err)
	}
	return fsx.SyncDir(dir)
}
