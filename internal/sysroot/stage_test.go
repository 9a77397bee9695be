package sysroot

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/testutil"
)

// The values gen-staged.c serializes.
const (
	fixTarget = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
	fixMerge  = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
	fixBoot   = "5555555555555555555555555555555555555555555555555555555555555555"
)

// TestStagedDataMatchesGLib compares our serialization of the staged
// state with GLib's (testdata/gen-staged.c) and reads GLib's back.
func TestStagedDataMatchesGLib(t *testing.T) {
	tests := []struct {
		file   string
		target *Deployment
		opts   DeployOptions
	}{
		{"staged-target.gvariant", &Deployment{Stateroot: "testos", Csum: fixTarget, Serial: 0, BootCsum: fixBoot}, DeployOptions{}},
		{"staged-full.gvariant", &Deployment{Stateroot: "testos", Csum: fixTarget, Serial: 1, BootCsum: fixBoot}, DeployOptions{
			Merge:          &Deployment{Stateroot: "testos", Csum: fixMerge, Serial: 0, BootCsum: fixBoot},
			Kargs:          []string{"root=LABEL=MOO", "quiet", "console=ttyS0"},
			OverlayInitrds: []string{fixBoot},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := stagedData(tc.target, tc.opts, false)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("stagedData differs from GLib's:\n got %x\nwant %x", got, want)
			}
			v, err := gvariant.Unmarshal(gvariant.MustType("a{sv}"), want)
			if err != nil {
				t.Fatal(err)
			}
			target, ok := gvariant.Lookup(v.([]any), "target")
			if !ok {
				t.Fatal("no target")
			}
			d, err := deploymentFromVariant(target.Value)
			if err != nil {
				t.Fatal(err)
			}
			if d.Name() != tc.target.Name() || d.Stateroot != "testos" || d.BootCsum != fixBoot {
				t.Errorf("target read back as %+v", d)
			}
		})
	}
}

// FuzzStagedData feeds arbitrary staged state to the loader, which must
// never panic.
func FuzzStagedData(f *testing.F) {
	for _, n := range []string{"staged-target.gvariant", "staged-full.gvariant"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := gvariant.Unmarshal(gvariant.MustType("a{sv}"), data)
		if err != nil {
			return
		}
		dict := variantDict(v)
		if tv, ok := dict["target"].(gvariant.Variant); ok {
			_, _ = deploymentFromVariant(tv.Value)
		}
		if k, ok := dict["kargs"].(gvariant.Variant); ok {
			_ = anyStrings(k.Value)
		}
	})
}

// stageOn stages commit on the booted simulated host, merging the booted
// deployment.
func stageOn(t *testing.T, h *simHost, commit string, sopts StageOptions) (*Sysroot, *Deployment) {
	t.Helper()
	s := h.open(t)
	c, err := object.ParseChecksum(commit)
	if err != nil {
		t.Fatal(err)
	}
	origin := keyfile.New()
	origin.SetString("origin", "refspec", "testos:testos/buildmain/x86_64-runtime")
	res, err := s.StageTree(context.Background(), DeployOptions{Commit: c, Origin: origin, Merge: s.MergeDeployment("")}, sopts)
	if err != nil {
		t.Fatal(err)
	}
	return s, res.Deployment
}

func entryCount(t *testing.T, physical string) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(physical, "boot/loader/entries"))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestStageAndFinalize(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	physical, c1, c2 := newTestSysroot(t, ref)
	d1 := deploy(t, physical, c1)
	h := simBoot(t, physical, d1)

	s, staged := stageOn(t, h, c2, StageOptions{})
	if !staged.Staged || staged.Csum != c2 || staged.Index != 0 {
		t.Fatalf("staged deployment = %+v", staged)
	}
	if diff := cmp.Diff([]string{c2 + ".0 (staged)", c1 + ".0"}, names(s.Deployments)); diff != "" {
		t.Errorf("deployments (-want +got):\n%s", diff)
	}
	if pending, _ := s.Pending(""); !pending.Equal(staged) {
		t.Errorf("pending = %v, want the staged deployment", pending)
	}
	if n := entryCount(t, physical); n != 1 {
		t.Errorf("staging wrote boot entries: %d", n)
	}
	b, err := os.ReadFile(filepath.Join(h.opts.RunDir, "staged-deployment"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := stagedData(staged, DeployOptions{Merge: d1}, false)
	if !bytes.Equal(b, want) {
		t.Errorf("staged state = %x, want %x", b, want)
	}
	if _, err := os.Stat(filepath.Join(physical, staged.OriginRelPath())); err != nil {
		t.Errorf("staged origin: %v", err)
	}
	// The staged commit is protected from pruning by a deployment ref.
	if got := strings.TrimSpace(run(t, ref, "--repo="+filepath.Join(physical, "ostree/repo"), "rev-parse", "ostree/1/1/0")); got != c2 {
		t.Errorf("ostree/1/1/0 = %s, want %s", got, c2)
	}

	// A change to the running /etc after staging still carries over.
	if err := os.WriteFile(filepath.Join(h.root, "etc/late-change"), []byte("late\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s = h.open(t)
	var journal []string
	s.OnJournal = func(m string) { journal = append(journal, m) }
	if err := s.FinalizeStaged(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Finalizing staged deployment"}, journal); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(h.opts.RunDir, "staged-deployment")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("staged state left after finalization: %v", err)
	}
	if n := entryCount(t, physical); n != 2 {
		t.Errorf("boot entries after finalization: %d", n)
	}
	s = h.open(t)
	if s.Staged != nil {
		t.Error("still staged after finalization")
	}
	if diff := cmp.Diff([]string{c2 + ".0", c1 + ".0"}, names(s.Deployments)); diff != "" {
		t.Errorf("deployments (-want +got):\n%s", diff)
	}
	if got := s.Deployments[0].BootConfig.Value("options"); !strings.HasPrefix(got, "root=LABEL=MOO quiet ostree=") {
		t.Errorf("kernel arguments not inherited at finalization: %q", got)
	}
	if b, _ := os.ReadFile(filepath.Join(physical, s.Deployments[0].RelPath(), "etc/late-change")); string(b) != "late\n" {
		t.Errorf("/etc change made after staging not merged: %q", b)
	}
	status := run(t, ref, "admin", "status", "--sysroot="+physical)
	if !strings.Contains(status, "testos "+c2+".0\n") || !strings.Contains(status, "testos "+c1+".0\n") {
		t.Errorf("reference status after finalization:\n%s", status)
	}
	run(t, ref, "fsck", "--repo="+filepath.Join(physical, "ostree/repo"))

	// Nothing staged: finalization is a no-op.
	journal = nil
	s.OnJournal = func(m string) { journal = append(journal, m) }
	if err := s.FinalizeStaged(ctx); err != nil || len(journal) != 1 || journal[0] != "No deployment staged for finalization" {
		t.Errorf("FinalizeStaged without staged: %v, %q", err, journal)
	}
}

func TestStageLockedAndReplaced(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	physical, c1, c2 := newTestSysroot(t, ref)
	d1 := deploy(t, physical, c1)
	h := simBoot(t, physical, d1)

	_, first := stageOn(t, h, c2, StageOptions{LockFinalization: true})
	s := h.open(t)
	if !s.FinalizationLocked() {
		t.Fatal("FinalizationLocked() = false")
	}
	var journal []string
	s.OnJournal = func(m string) { journal = append(journal, m) }
	if err := s.FinalizeStaged(ctx); err != nil {
		t.Fatal(err)
	}
	if !s.Staged.FinalizationLocked {
		t.Error("staged state does not say locked")
	}
	if len(journal) != 1 || journal[0] != "Not finalizing; deployment is locked for finalization" {
		t.Errorf("journal = %q", journal)
	}
	if s = h.open(t); s.Staged == nil || entryCount(t, physical) != 1 {
		t.Fatal("locked finalization went ahead")
	}

	// Staging again replaces the first staged deployment.
	_, second := stageOn(t, h, c2, StageOptions{})
	if second.Serial != first.Serial+1 {
		t.Errorf("second staged serial = %d", second.Serial)
	}
	if _, err := os.Stat(filepath.Join(physical, first.RelPath())); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("replaced staged deployment still on disk: %v", err)
	}

	// A plain deploy drops the staged deployment and its lock.
	s = h.open(t)
	c, _ := object.ParseChecksum(c1)
	res, err := s.DeployTree(ctx, DeployOptions{Commit: c, Merge: s.Booted})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SimpleWriteDeployment(ctx, "", res.Deployment, s.Booted, SimpleWriteFlags{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(h.opts.RunDir, "staged-deployment"), filepath.Join(h.opts.RunDir, "staged-deployment-locked"), filepath.Join(physical, second.RelPath())} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s survives a deploy: %v", p, err)
		}
	}
	if s = h.open(t); s.Staged != nil {
		t.Error("staged deployment survives a deploy")
	}
}

func TestStageNotBooted(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	physical, c1, c2 := newTestSysroot(t, ref)
	deploy(t, physical, c1)
	run := t.TempDir()
	s, err := Open(physical, Options{BootedFlag: filepath.Join(run, "none"), RunDir: run})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, _ := object.ParseChecksum(c2)
	_, err = s.StageTree(context.Background(), DeployOptions{Stateroot: "testos", Commit: c}, StageOptions{LockFinalization: true})
	if err == nil || err.Error() != "Cannot stage deployment: Not currently booted into an OSTree system" {
		t.Fatalf("StageTree: %v", err)
	}
	if ents, _ := os.ReadDir(run); len(ents) != 0 {
		t.Errorf("refused staging left state in the run directory: %d entries", len(ents))
	}
}

func TestFinalizeFailureStamp(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	physical, c1, c2 := newTestSysroot(t, ref)
	d1 := deploy(t, physical, c1)
	h := simBoot(t, physical, d1)
	_, staged := stageOn(t, h, c2, StageOptions{})

	// Point the merge deployment at one that does not exist.
	bogus := &Deployment{Stateroot: "testos", Csum: c1, Serial: 9, BootCsum: d1.BootCsum}
	data, err := stagedData(staged, DeployOptions{Merge: bogus}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.opts.RunDir, "staged-deployment"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	s := h.open(t)
	wantMsg := "Failed to find merge deployment " + c1 + ".9 for staged"
	if err := s.FinalizeStaged(ctx); err == nil || err.Error() != wantMsg {
		t.Fatalf("FinalizeStaged: %v", err)
	}
	stamp := filepath.Join(physical, "boot/ostree/finalize-failure.stamp")
	if b, err := os.ReadFile(stamp); err != nil || string(b) != wantMsg {
		t.Fatalf("failure stamp: %q, %v", b, err)
	}
	err = s.BootComplete(ctx)
	if err == nil || err.Error() != "ostree-finalize-staged.service failed on previous boot: "+wantMsg {
		t.Errorf("BootComplete: %v", err)
	}
	if err := s.BootComplete(ctx); err != nil {
		t.Errorf("second BootComplete: %v", err)
	}
}
