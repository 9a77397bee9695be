package sysroot

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/gostree/gostree/internal/testutil"
)

// TestChangeFinalization toggles the lock of a staged deployment: the
// staged state and the legacy lock file follow, and finalization waits
// for the unlock.
func TestChangeFinalization(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	physical, c1, c2 := newTestSysroot(t, ref)
	h := simBoot(t, physical, deploy(t, physical, c1))
	stageOn(t, h, c2, StageOptions{})
	legacy := filepath.Join(h.opts.RunDir, "staged-deployment-locked")

	s := h.open(t)
	if s.FinalizationLocked() {
		t.Fatal("unlocked staged deployment reported locked")
	}
	if locked, err := s.ChangeFinalization(); err != nil || !locked {
		t.Fatalf("ChangeFinalization = %v, %v", locked, err)
	}
	if _, err := os.Stat(legacy); err != nil {
		t.Errorf("legacy lock file: %v", err)
	}
	s = h.open(t)
	if !s.Staged.FinalizationLocked {
		t.Fatal("reloaded staged state is not locked")
	}
	if err := s.FinalizeStaged(ctx); err != nil || entryCount(t, physical) != 1 {
		t.Fatalf("locked finalization: %v, %d entries", err, entryCount(t, physical))
	}

	s = h.open(t)
	if locked, err := s.ChangeFinalization(); err != nil || locked {
		t.Fatalf("ChangeFinalization = %v, %v", locked, err)
	}
	if _, err := os.Stat(legacy); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("legacy lock file after unlock: %v", err)
	}
	s = h.open(t)
	if s.Staged.FinalizationLocked || s.FinalizationLocked() {
		t.Fatal("still locked after unlock")
	}
	if err := s.FinalizeStaged(ctx); err != nil || entryCount(t, physical) != 2 {
		t.Fatalf("unlocked finalization: %v, %d entries", err, entryCount(t, physical))
	}
	if _, err := h.open(t).ChangeFinalization(); !errors.Is(err, ErrNoStaged) {
		t.Errorf("without staged deployment: %v", err)
	}
}

// TestLegacyLockFileHolds: the lock file alone, as libostree 2022.7
// writes it, still keeps shutdown from finalizing.
func TestLegacyLockFileHolds(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	physical, c1, c2 := newTestSysroot(t, ref)
	h := simBoot(t, physical, deploy(t, physical, c1))
	stageOn(t, h, c2, StageOptions{})
	if err := os.WriteFile(filepath.Join(h.opts.RunDir, "staged-deployment-locked"), nil, 0o640); err != nil {
		t.Fatal(err)
	}
	s := h.open(t)
	if s.Staged.FinalizationLocked || !s.FinalizationLocked() {
		t.Fatalf("state locked %v, effective %v", s.Staged.FinalizationLocked, s.FinalizationLocked())
	}
	if err := s.FinalizeStaged(context.Background()); err != nil || entryCount(t, physical) != 1 {
		t.Fatalf("finalized despite the lock file: %v", err)
	}
}
