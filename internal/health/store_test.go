package health

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/errdefs"
)

func rec(id, dep string, started time.Time, result string) *BootRecord {
	return &BootRecord{
		BootID: id, Deployment: dep, Commit: "c" + dep, Stateroot: "os",
		Started: started, Finished: started.Add(time.Second), Result: result,
		Checks: []CheckResult{{Name: "10-a.sh", Path: "/etc/greenboot/check/required.d/10-a.sh",
			Required: true, ExitStatus: 1, Duration: 3 * time.Millisecond, Output: "boom\n"}},
	}
}

func TestStoreMissingIsEmpty(t *testing.T) {
	s := OpenStore(filepath.Join(t.TempDir(), "var"))
	boots, err := s.Boots()
	if err != nil || len(boots) != 0 {
		t.Fatalf("Boots() = %v, %v; want none", boots, err)
	}
	last, err := s.LastFor("abc.0")
	if err != nil || last != nil {
		t.Fatalf("LastFor() = %v, %v; want nil, nil", last, err)
	}
	failed, err := s.FailedCommits()
	if err != nil || len(failed) != 0 {
		t.Fatalf("FailedCommits() = %v, %v; want empty", failed, err)
	}
	if _, err := os.Stat(s.Dir()); !os.IsNotExist(err) {
		t.Fatalf("reading created %s: %v", s.Dir(), err)
	}
}

func TestStoreRoundTripAndOrder(t *testing.T) {
	v := t.TempDir()
	s := OpenStore(v)
	t0 := time.Date(2026, 12, 7, 7, 40, 0, 0, time.UTC)
	want := []*BootRecord{
		rec("b1", "aaa.0", t0, ResultFailed),
		rec("b2", "bbb.0", t0.Add(time.Hour), ResultGood),
		rec("b3", "aaa.0", t0.Add(2*time.Hour), ResultGood),
	}
	for _, i := range []int{2, 0, 1} { // out of order on purpose
		if err := s.AddBoot(want[i]); err != nil {
			t.Fatal(err)
		}
	}
	got, err := OpenStore(v).Boots()
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Boots() mismatch (-want +got):\n%s", d)
	}
	last, err := s.LastFor("aaa.0")
	if err != nil || last == nil || last.BootID != "b3" {
		t.Fatalf("LastFor(aaa.0) = %+v, %v; want b3", last, err)
	}
	if _, err := os.Stat(filepath.Join(v, "lib/gostree/health")); err != nil {
		t.Fatal(err)
	}
	// No temp files are left behind.
	ents, _ := os.ReadDir(s.Dir())
	if len(ents) != 3 {
		t.Fatalf("store holds %d files, want 3", len(ents))
	}
}

func TestStoreSameBootReplaces(t *testing.T) {
	s := OpenStore(t.TempDir())
	t0 := time.Date(2026, 12, 7, 7, 40, 0, 0, time.UTC)
	if err := s.AddBoot(rec("same", "aaa.0", t0, ResultFailed)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddBoot(rec("same", "aaa.0", t0.Add(time.Minute), ResultGood)); err != nil {
		t.Fatal(err)
	}
	boots, err := s.Boots()
	if err != nil {
		t.Fatal(err)
	}
	if len(boots) != 1 || boots[0].Result != ResultGood {
		t.Fatalf("after a re-run in the same boot: %d records, want 1 good", len(boots))
	}
}

func TestStoreBoundedHistory(t *testing.T) {
	s := OpenStore(t.TempDir())
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n := KeepBoots + 7
	for i := range n {
		if err := s.AddBoot(rec(fmt.Sprintf("boot%d", i), "aaa.0", t0.Add(time.Duration(i)*time.Minute), ResultGood)); err != nil {
			t.Fatal(err)
		}
	}
	boots, err := s.Boots()
	if err != nil {
		t.Fatal(err)
	}
	if len(boots) != KeepBoots {
		t.Fatalf("kept %d records, want %d", len(boots), KeepBoots)
	}
	if boots[0].BootID != "boot7" || boots[len(boots)-1].BootID != fmt.Sprintf("boot%d", n-1) {
		t.Fatalf("kept %s..%s, want the newest", boots[0].BootID, boots[len(boots)-1].BootID)
	}
}

func TestStoreFailedCommits(t *testing.T) {
	v := t.TempDir()
	s := OpenStore(v)
	when := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	f := FailedCommit{Deployment: "abc.0", Stateroot: "os", When: when,
		Reason: "required check 10-fail.sh failed (exit 1)",
		Check:  &CheckResult{Name: "10-fail.sh", Required: true, ExitStatus: 1}}
	if err := s.MarkFailed("abc", f); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed("def", FailedCommit{Reason: "did not finish booting after 3 attempts"}); err != nil {
		t.Fatal(err)
	}
	got, err := OpenStore(v).FailedCommits()
	if err != nil {
		t.Fatal(err)
	}
	f.Commit = "abc"
	if d := cmp.Diff(f, got["abc"]); d != "" {
		t.Fatalf("failed[abc] (-want +got):\n%s", d)
	}
	if got["def"].Commit != "def" || got["def"].When.IsZero() {
		t.Fatalf("failed[def] = %+v; want commit and time filled in", got["def"])
	}
	if err := s.ClearFailed("abc"); err != nil {
		t.Fatal(err)
	}
	if err := s.ClearFailed("never-failed"); err != nil {
		t.Fatal(err)
	}
	got, err = s.FailedCommits()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["abc"]; ok || len(got) != 1 {
		t.Fatalf("after ClearFailed(abc): %v", got)
	}
	if err := s.MarkFailed("", f); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("MarkFailed(\"\") = %v, want ErrInvalid", err)
	}
}

func TestStoreCorruptNamesFile(t *testing.T) {
	s := OpenStore(t.TempDir())
	if err := os.MkdirAll(s.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(s.Dir(), "failed-commits.json")
	if err := os.WriteFile(p, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := s.FailedCommits()
	if !errors.Is(err, errdefs.ErrCorrupt) || !strings.Contains(err.Error(), p) {
		t.Fatalf("FailedCommits() on corrupt file = %v; want ErrCorrupt naming %s", err, p)
	}
}
