package health

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/fsx"
)

// StoreDir is where the store lives, relative to the stateroot's var.
const StoreDir = "lib/gostree/health"

// KeepBoots bounds the history: older boot records are removed on write.
const KeepBoots = 50

const (
	failedFile = "failed-commits.json"
	bootPrefix = "boot-"
	bootSuffix = ".json"
	// Sorts lexically in time order; records are named by when they started.
	nameTime = "20060102T150405.000000000Z"
)

// Store holds the health records of one stateroot. Every file is replaced
// atomically, so readers see old or new content, never a mix. A Store is not
// safe for concurrent writers; one health run owns it per boot.
type Store struct {
	dir string
}

// OpenStore opens the store under varDir, the stateroot's var. Nothing is
// created until the first write.
func OpenStore(varDir string) *Store {
	return &Store{dir: filepath.Join(varDir, StoreDir)}
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// AddBoot writes r as its boot's record, replacing an earlier record of the
// same boot, and drops the oldest records beyond KeepBoots.
func (s *Store) AddBoot(r *BootRecord) error {
	if r.Started.IsZero() {
		return fmt.Errorf("health record in %s: %w: no start time", s.dir, errdefs.ErrInvalid)
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("health record in %s: %w", s.dir, err)
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("health store: %w", err)
	}
	id := safeID(r.BootID)
	name := bootPrefix + r.Started.UTC().Format(nameTime) + "-" + id + bootSuffix
	if err := fsx.WriteFileAtomic(filepath.Join(s.dir, name), append(data, '\n'), 0o644, true); err != nil {
		return fmt.Errorf("health record: %w", err)
	}
	names, err := s.bootNames()
	if err != nil {
		return err
	}
	var drop []string
	if id != "" {
		for _, n := range names {
			if n != name && strings.HasSuffix(n, "-"+id+bootSuffix) {
				drop = append(drop, n)
			}
		}
	}
	if extra := len(names) - len(drop) - KeepBoots; extra > 0 {
		for _, n := range names {
			if extra == 0 {
				break
			}
			if n != name && !slices.Contains(drop, n) {
				drop = append(drop, n)
				extra--
			}
		}
	}
	for _, n := range drop {
		if err := os.Remove(filepath.Join(s.dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("health store: %w", err)
		}
	}
	if len(drop) > 0 {
		return fsx.SyncDir(s.dir)
	}
	return nil
}

// Boots returns every boot record, oldest first. A missing store has none.
func (s *Store) Boots() ([]*BootRecord, error) {
	names, err := s.bootNames()
	if err != nil {
		return nil, err
	}
	out := make([]*BootRecord, 0, len(names))
	for _, n := range names {
		r := new(BootRecord)
		if err := readJSON(filepath.Join(s.dir, n), r); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // pruned by a concurrent write
			}
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// LastFor returns the newest record of deployment (CSUM.SERIAL), or nil, nil.
func (s *Store) LastFor(deployment string) (*BootRecord, error) {
	boots, err := s.Boots()
	if err != nil {
		return nil, err
	}
	for i := len(boots) - 1; i >= 0; i-- {
		if boots[i].Deployment == deployment {
			return boots[i], nil
		}
	}
	return nil, nil
}

// MarkFailed records commit as failed, replacing an earlier entry for it.
func (s *Store) MarkFailed(commit string, f FailedCommit) error {
	if commit == "" {
		return fmt.Errorf("health store %s: mark failed: %w: empty commit", s.dir, errdefs.ErrInvalid)
	}
	m, err := s.FailedCommits()
	if err != nil {
		return err
	}
	f.Commit = commit
	if f.When.IsZero() {
		f.When = time.Now().UTC()
	}
	m[commit] = f
	return s.writeFailed(m)
}

// FailedCommits returns the failed list keyed by commit; empty when none.
func (s *Store) FailedCommits() (map[string]FailedCommit, error) {
	m := map[string]FailedCommit{}
	err := readJSON(filepath.Join(s.dir, failedFile), &m)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return m, nil
}

// ClearFailed removes commit from the failed list; absent commits are fine.
func (s *Store) ClearFailed(commit string) error {
	m, err := s.FailedCommits()
	if err != nil {
		return err
	}
	if _, ok := m[commit]; !ok {
		return nil
	}
	delete(m, commit)
	return s.writeFailed(m)
}

func (s *Store) writeFailed(m map[string]FailedCommit) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("health store %s: %w", s.dir, err)
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("health store: %w", err)
	}
	if err := fsx.WriteFileAtomic(filepath.Join(s.dir, failedFile), append(data, '\n'), 0o644, true); err != nil {
		return fmt.Errorf("health store: %w", err)
	}
	return nil
}

// bootNames lists the record files, oldest first.
func (s *Store) bootNames() ([]string, error) {
	ents, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("health store: %w", err)
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, bootPrefix) && strings.HasSuffix(n, bootSuffix) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("health store: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("health store: %s: %w: %v", path, errdefs.ErrCorrupt, err)
	}
	return nil
}

// safeID keeps a boot ID usable in a file name.
func safeID(id string) string {
	var b strings.Builder
	for _, r := range id {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
