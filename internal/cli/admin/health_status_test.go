package admin_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/health"
)

// statusHealthWorld is an adminWorld with c1 deployed, and its stateroot's
// health store.
func statusHealthWorld(t *testing.T) (*adminWorld, *health.Store, string) {
	w := newAdminWorld(t)
	return w, health.OpenStore(filepath.Join(w.physical, "ostree/deploy/testos/var")), w.c1 + ".0"
}

func TestAdminStatusWithoutHealthIsUnchanged(t *testing.T) {
	w, st, _ := statusHealthWorld(t)
	sr := "--sysroot=" + w.physical
	before := adminRun(t, "admin", "status", sr)
	beforeJSON := adminRun(t, "admin", "status", "--json", sr)
	if strings.Contains(before, "Health") || strings.Contains(beforeJSON, "health") {
		t.Fatalf("health shown without records:\n%s%s", before, beforeJSON)
	}
	// A record of another deployment says nothing about this one.
	now := time.Now()
	if err := st.AddBoot(&health.BootRecord{BootID: "x", Deployment: "other.0", Started: now, Finished: now, Result: health.ResultGood}); err != nil {
		t.Fatal(err)
	}
	if got := adminRun(t, "admin", "status", sr); got != before {
		t.Fatalf("status changed by another deployment's record:\n%s\nwant:\n%s", got, before)
	}
	// An unreadable store is ignored, not an error.
	if err := os.RemoveAll(st.Dir()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(st.Dir(), []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := adminRun(t, "admin", "status", sr); got != before {
		t.Fatalf("status with a broken store:\n%s\nwant:\n%s", got, before)
	}
}

func TestAdminStatusShowsHealth(t *testing.T) {
	w, st, dep := statusHealthWorld(t)
	sr := "--sysroot=" + w.physical
	before := adminRun(t, "admin", "status", sr)
	fin := time.Date(2026, 12, 7, 7, 40, 0, 0, time.UTC)
	good := &health.BootRecord{BootID: "b1", Deployment: dep, Commit: w.c1, Stateroot: "testos",
		Started: fin.Add(-time.Minute), Finished: fin, Result: health.ResultGood,
		Checks: []health.CheckResult{{Name: "a.sh"}, {Name: "b.sh"}, {Name: "c.sh"}, {Name: "off.sh", Skipped: true}}}
	if err := st.AddBoot(good); err != nil {
		t.Fatal(err)
	}
	wantLine := "    Health: good (" + fin.Local().Format("2006-01-02 15:04") + ", 3 checks)\n"
	got := adminRun(t, "admin", "status", sr)
	if !strings.Contains(got, wantLine) {
		t.Fatalf("status lacks %q:\n%s", wantLine, got)
	}
	if strings.Replace(got, wantLine, "", 1) != before {
		t.Fatalf("health changed more than its line:\n%s\nbefore:\n%s", got, before)
	}

	bad := &health.BootRecord{BootID: "b2", Deployment: dep, Commit: w.c1, Stateroot: "testos",
		Started: fin.Add(time.Hour), Finished: fin.Add(time.Hour), Result: health.ResultFailed,
		Checks: []health.CheckResult{{Name: "10-fail.sh", Required: true, ExitStatus: 1, Output: "starting\nno network\n\n"},
			{Name: "20-later.sh", Required: true, Skipped: true}}}
	if err := st.AddBoot(bad); err != nil {
		t.Fatal(err)
	}
	wantLine = "    Health: failed: required check 10-fail.sh (exit 1): no network\n"
	if got := adminRun(t, "admin", "status", sr); !strings.Contains(got, wantLine) {
		t.Fatalf("status lacks %q:\n%s", wantLine, got)
	}

	reason := "did not finish booting after 3 attempts"
	if err := st.MarkFailed(w.c1, health.FailedCommit{Deployment: dep, Stateroot: "testos", When: fin.Add(2 * time.Hour), Reason: reason}); err != nil {
		t.Fatal(err)
	}
	wantLine = "    Health: rolled back: " + reason + "\n"
	if got := adminRun(t, "admin", "status", sr); !strings.Contains(got, wantLine) {
		t.Fatalf("status lacks %q:\n%s", wantLine, got)
	}

	var js []map[string]any
	if err := json.Unmarshal([]byte(adminRun(t, "admin", "status", "--json", sr)), &js); err != nil {
		t.Fatal(err)
	}
	h, _ := js[0]["health"].(map[string]any)
	if h["state"] != "rolled-back" || h["reason"] != reason {
		t.Fatalf("json health = %v", js[0]["health"])
	}
}
