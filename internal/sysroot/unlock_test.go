package sysroot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/testutil"
)

func TestUnlockRuntime(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	for _, state := range []string{UnlockedDevelopment, UnlockedTransient} {
		t.Run(state, func(t *testing.T) {
			ctx := context.Background()
			physical, c1, _ := newTestSysroot(t, ref)
			d1 := deploy(t, physical, c1)
			// A commit without /var leaves the stateroot's var empty;
			// a booted system has /var/tmp from tmpfiles.
			if err := os.Mkdir(filepath.Join(physical, "ostree/deploy/testos/var/tmp"), 0o1777); err != nil {
				t.Fatal(err)
			}
			h := simBoot(t, physical, d1)
			s := h.open(t)
			if err := s.Unlock(ctx, s.Booted, state); err != nil {
				t.Fatal(err)
			}
			flag := filepath.Join(h.opts.RunDir, "deployment-state", d1.Name(), "unlocked-"+state)
			ovl, err := os.ReadFile(flag)
			if err != nil {
				t.Fatal(err)
			}
			// The overlay directories live in the stateroot's /var/tmp.
			if !strings.HasPrefix(string(ovl), filepath.Join(h.root, "var/tmp/ostree-unlock-ovl.")) {
				t.Errorf("overlay dir = %q", ovl)
			}
			usr, _ := os.Stat(filepath.Join(h.root, "usr"))
			for _, sub := range []string{"upper", "work"} {
				fi, err := os.Stat(filepath.Join(string(ovl), sub))
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode() != usr.Mode() {
					t.Errorf("%s mode %v, want /usr's %v", sub, fi.Mode(), usr.Mode())
				}
			}
			s = h.open(t)
			if s.Booted.Unlocked != state {
				t.Errorf("after reload Unlocked = %q", s.Booted.Unlocked)
			}
			if len(s.Deployments) != 1 {
				t.Errorf("unlock changed the deployment list: %v", names(s.Deployments))
			}
			err = s.Unlock(ctx, s.Booted, UnlockedHotfix)
			if err == nil || err.Error() != "Deployment is already in unlocked state: "+state {
				t.Errorf("second unlock: %v", err)
			}
		})
	}
}

func TestUnlockHotfix(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	physical, c1, _ := newTestSysroot(t, ref)
	d1 := deploy(t, physical, c1)
	h := simBoot(t, physical, d1)
	s := h.open(t)
	if err := s.Unlock(ctx, s.Booted, UnlockedHotfix); err != nil {
		t.Fatal(err)
	}
	s = h.open(t)
	// The clean clone is the rollback target.
	if diff := cmp.Diff([]string{c1 + ".0", c1 + ".1"}, names(s.Deployments)); diff != "" {
		t.Fatalf("deployments (-want +got):\n%s", diff)
	}
	if _, rollback := s.Pending(""); rollback == nil || rollback.Name() != c1+".1" {
		t.Errorf("rollback = %v", rollback)
	}
	if s.Booted.Unlocked != UnlockedHotfix || s.Deployments[1].Unlocked != UnlockedNone {
		t.Errorf("unlocked states %q, %q", s.Booted.Unlocked, s.Deployments[1].Unlocked)
	}
	for _, dir := range []string{".usr-ovl-upper", ".usr-ovl-work"} {
		if fi, err := os.Stat(filepath.Join(h.root, dir)); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v", dir, err)
		}
	}
	if got := s.Deployments[1].BootConfig.Value("options"); !strings.HasPrefix(got, "root=LABEL=MOO quiet ostree=") {
		t.Errorf("clone kernel arguments = %q", got)
	}
	status := run(t, ref, "admin", "status", "--sysroot="+physical)
	if !strings.Contains(status, "Unlocked: hotfix") {
		t.Errorf("reference status lacks the hotfix:\n%s", status)
	}
}

func TestUnlockErrors(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	physical, c1, _ := newTestSysroot(t, ref)
	d1 := deploy(t, physical, c1)
	h := simBoot(t, physical, d1)
	s := h.open(t)
	if err := s.Unlock(context.Background(), s.Booted, UnlockedNone); err == nil {
		t.Error("unlocking to none succeeded")
	}
	other := &Deployment{Stateroot: "otheros", Csum: c1, Unlocked: UnlockedNone}
	if err := s.Unlock(context.Background(), other, UnlockedDevelopment); err == nil || err.Error() != "No previous deployment to duplicate" {
		t.Errorf("unlock without merge deployment: %v", err)
	}
}
