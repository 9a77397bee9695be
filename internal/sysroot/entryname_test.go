package sysroot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gostree/gostree/internal/testutil"
)

// Entries are named ostree-N.conf (libostree ≥ 2024.5), or
// ostree-N-STATEROOT.conf under OSTREE_SYSROOT_OPTS=bootloader-naming-1; a
// sysroot written in one naming is rewritten in the other on the next
// boot version, and edits in place go to the file an entry was read from.
func TestEntryNaming(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	physical, c1, c2 := newTestSysroot(t, ref)

	t.Setenv("OSTREE_SYSROOT_OPTS", "skip-sync,bootloader-naming-1")
	deploy(t, physical, c1)
	if diff := cmp.Diff([]string{"ostree-1-testos.conf"}, entryNames(t, physical)); diff != "" {
		t.Fatalf("old naming (-want +got):\n%s", diff)
	}

	// Kernel arguments edited in place land in the old-named file.
	t.Setenv("OSTREE_SYSROOT_OPTS", "")
	s := loadSysroot(t, physical)
	opts := s.Deployments[0].BootConfig.Value("options") + " gostree.test=1"
	if err := s.SetKargsInPlace(s.Deployments[0], opts); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ostree-1-testos.conf"}, entryNames(t, physical)); diff != "" {
		t.Fatalf("after kargs in place (-want +got):\n%s", diff)
	}
	b, err := os.ReadFile(filepath.Join(physical, "boot/loader/entries/ostree-1-testos.conf"))
	if err != nil || !strings.Contains(string(b), "options "+opts+"\n") {
		t.Fatalf("old-named entry after kargs: %v\n%s", err, b)
	}

	// The next deployment rewrites both entries in the default naming.
	deploy(t, physical, c2)
	if diff := cmp.Diff([]string{"ostree-1.conf", "ostree-2.conf"}, entryNames(t, physical)); diff != "" {
		t.Fatalf("new naming (-want +got):\n%s", diff)
	}
	s = loadSysroot(t, physical)
	if len(s.Deployments) != 2 || !strings.Contains(s.Deployments[1].BootConfig.Value("options"), "gostree.test=1") {
		t.Fatalf("deployments after the rename: %v, options %q", names(s.Deployments), s.Deployments[1].BootConfig.Value("options"))
	}

	// The reference (2022.7) reads the new names.
	out := run(t, ref, "admin", "status", "--sysroot="+physical)
	if strings.Count(out, "testos ") < 2 {
		t.Errorf("reference admin status does not list both deployments:\n%s", out)
	}
}

func TestGlobalOptsFromEnv(t *testing.T) {
	for env, want := range map[string]bool{
		"": false, "bootloader-naming-1": true, "skip-sync:bootloader-naming-1": true,
		"skip-sync": false, "bootloader-naming-10": false, " bootloader-naming-1 ": true,
	} {
		t.Setenv("OSTREE_SYSROOT_OPTS", env)
		if got := globalOptsFromEnv().OldEntryNames; got != want {
			t.Errorf("OSTREE_SYSROOT_OPTS=%q: OldEntryNames %v, want %v", env, got, want)
		}
	}
}
