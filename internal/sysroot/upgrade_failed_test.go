package sysroot_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/health"
)

// TestUpgradeRefusesFailedCommit: `admin upgrade` will not deploy a
// commit the stateroot's health store lists as rolled back, changing
// nothing; --allow-failed deploys it and takes it off the list.
func TestUpgradeRefusesFailedCommit(t *testing.T) {
	ref := referenceTool(t)
	gs := gostreeTool(t)
	f := newFixture(t, ref)
	c1 := f.commit(t, ref, "testos/main", "1", treeSpec{content: 1})
	gs.run(t, "admin", "deploy", "--sysroot="+f.root, "--os=testos", "--karg=root=LABEL=rootfs", "testos/main")
	c2 := f.commit(t, ref, "testos/main", "2", treeSpec{content: 2})
	store := health.OpenStore(filepath.Join(f.root, "ostree/deploy/testos/var"))
	when := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	if err := store.MarkFailed(c2, health.FailedCommit{Commit: c2, Deployment: c2 + ".0", Stateroot: "testos", When: when,
		Reason: "required check 10-fail.sh failed (exit 1)"}); err != nil {
		t.Fatal(err)
	}
	// Another commit on the list does not matter.
	if err := store.MarkFailed(strings.Repeat("0", 64), health.FailedCommit{When: when, Reason: "other"}); err != nil {
		t.Fatal(err)
	}

	before := sysrootState(t, f.root)
	_, stderr, err := gs.try("admin", "upgrade", "--sysroot="+f.root, "--os=testos")
	want := "Commit " + c2 + " was rolled back on 2026-12-07: required check 10-fail.sh failed (exit 1); use --allow-failed to deploy it anyway"
	if err == nil || !strings.Contains(stderr, want) {
		t.Fatalf("upgrade to a failed commit: err %v, stderr %q, want %q", err, stderr, want)
	}
	if diff := diffManifests(before, sysrootState(t, f.root)); len(diff) != 0 {
		t.Fatalf("refused upgrade changed the sysroot: %v", diff)
	}
	deps := statusDeployments(gs.run(t, "admin", "status", "--sysroot="+f.root))
	if len(deps) != 1 || deps[0] != "testos/"+c1+".0" {
		t.Fatalf("deployments after refusal %v", deps)
	}

	gs.run(t, "admin", "upgrade", "--sysroot="+f.root, "--os=testos", "--allow-failed")
	deps = statusDeployments(gs.run(t, "admin", "status", "--sysroot="+f.root))
	if len(deps) != 2 || deps[0] != "testos/"+c2+".0" {
		t.Fatalf("deployments after --allow-failed %v", deps)
	}
	failed, err := store.FailedCommits()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := failed[c2]; ok || len(failed) != 1 {
		t.Fatalf("failed list after --allow-failed: %v", failed)
	}

	// switch refuses the same way.
	c3 := f.commit(t, ref, "testos/other", "3", treeSpec{content: 3})
	if err := store.MarkFailed(c3, health.FailedCommit{Commit: c3, When: when, Reason: "health checks failed"}); err != nil {
		t.Fatal(err)
	}
	_, stderr, err = gs.try("admin", "switch", "--sysroot="+f.root, "--os=testos", "testos/other")
	if want := "Commit " + c3 + " was rolled back on 2026-12-07: health checks failed; use --allow-failed"; err == nil || !strings.Contains(stderr, want) {
		t.Fatalf("switch to a failed commit: err %v, stderr %q", err, stderr)
	}
	gs.run(t, "admin", "switch", "--sysroot="+f.root, "--os=testos", "--allow-failed", "testos/other")
	deps = statusDeployments(gs.run(t, "admin", "status", "--sysroot="+f.root))
	if len(deps) == 0 || deps[0] != "testos/"+c3+".0" {
		t.Fatalf("deployments after switch --allow-failed %v", deps)
	}
}
