package sysroot

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/grubenv"
	"github.com/gostree/gostree/internal/health"
	"github.com/gostree/gostree/internal/testutil"
)

// loadSysroot opens and loads the unbooted sysroot at physical.
func loadSysroot(t *testing.T, physical string) *Sysroot {
	t.Helper()
	s, err := Open(physical)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// withGrubenv gives the sysroot an empty boot/grub/grubenv and returns
// its path.
func withGrubenv(t *testing.T, physical string) string {
	t.Helper()
	p := filepath.Join(physical, "boot/grub/grubenv")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := grubenv.Write(p, grubenv.New()); err != nil {
		t.Fatal(err)
	}
	return p
}

func envVar(t *testing.T, path, name string) string {
	t.Helper()
	e, err := grubenv.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := e.Get(name)
	if !ok {
		return "<unset>"
	}
	return v
}

// commitTree commits the test tree plus extra files on the test branch.
func commitTree(t *testing.T, ref, physical, version string, extra map[string]string) string {
	t.Helper()
	tree := filepath.Join(t.TempDir(), "tree")
	writeOSTree(t, tree, version)
	for p, c := range extra {
		full := filepath.Join(tree, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := run(t, ref, "--repo="+filepath.Join(physical, "ostree/repo"), "commit", "-b", "testos/buildmain/x86_64-runtime",
		"--add-metadata-string=version="+version, "-s", "Build", "--tree=dir="+tree)
	return strings.TrimSpace(out)
}

// grubBoot models the counting fragment of the grub.cfg we generate (and
// that system-feasibility §5 ran in qemu): it returns the menu entry GRUB
// boots and updates the grubenv as its save_env would.
func grubBoot(t *testing.T, path string) int {
	t.Helper()
	e, err := grubenv.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	def := 0
	counter, armed := e.Get("boot_counter")
	if success, _ := e.Get("boot_success"); armed && success == "0" {
		switch counter {
		case "0", "-1":
			def, counter = 1, "-1"
		default:
			n, err := strconv.Atoi(counter)
			if err != nil {
				t.Fatalf("boot_counter %q", counter)
			}
			counter = strconv.Itoa(n - 1)
		}
		_ = e.Set("boot_counter", counter)
	}
	_ = e.Set("boot_success", "0")
	if err := grubenv.Write(path, e); err != nil {
		t.Fatal(err)
	}
	return def
}

func TestGrubenvArming(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	physical, c1, c2 := newTestSysroot(t, ref)
	env := withGrubenv(t, physical)

	// With nothing to fall back to, the first deployment is not counted.
	deploy(t, physical, c1)
	if got := envVar(t, env, "boot_counter"); got != "<unset>" {
		t.Fatalf("after first deploy: boot_counter = %s", got)
	}
	deploy(t, physical, c2)
	if got := envVar(t, env, "boot_counter") + " " + envVar(t, env, "boot_success"); got != "3 0" {
		t.Fatalf("after second deploy: boot_counter boot_success = %s, want 3 0", got)
	}
	st, err := loadSysroot(t, physical).BootCountState()
	if err != nil || st != (BootCountState{Backend: "grubenv", Armed: true, Left: 3}) {
		t.Fatalf("BootCountState = %+v, %v", st, err)
	}
	if err := loadSysroot(t, physical).MarkBootGood(ctx); err != nil {
		t.Fatal(err)
	}
	if got := envVar(t, env, "boot_counter") + " " + envVar(t, env, "boot_success"); got != "<unset> 1" {
		t.Fatalf("after MarkBootGood: %s", got)
	}

	// The new deployment's greenboot.conf sets the attempts.
	c3 := commitTree(t, ref, physical, "1.0.11", map[string]string{
		"usr/etc/greenboot/greenboot.conf": "GREENBOOT_MAX_BOOT_ATTEMPTS=5\n",
	})
	deploy(t, physical, c3)
	if got := envVar(t, env, "boot_counter"); got != "5" {
		t.Fatalf("greenboot.conf attempts: boot_counter = %s, want 5", got)
	}

	// Moving an older deployment first disarms; a list whose default
	// stays the same leaves the counter alone.
	s := loadSysroot(t, physical)
	if _, err := s.SetDefault(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := envVar(t, env, "boot_counter"); got != "<unset>" {
		t.Fatalf("after set-default: boot_counter = %s", got)
	}
	deploy(t, physical, c3)
	s = loadSysroot(t, physical)
	if len(s.Deployments) != 2 {
		t.Fatalf("deployments %v", names(s.Deployments))
	}
	if err := s.WriteDeployments(ctx, s.Deployments[:1], WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := envVar(t, env, "boot_counter"); got != "5" {
		t.Fatalf("after dropping a non-default deployment: boot_counter = %s, want 5", got)
	}
	deploy(t, physical, c2)
	if _, err := loadSysroot(t, physical).Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := envVar(t, env, "boot_counter"); got != "<unset>" {
		t.Fatalf("after rollback: boot_counter = %s", got)
	}
}

func TestGrubenvFallbackCommitted(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	physical, c1, c2 := newTestSysroot(t, ref)
	env := withGrubenv(t, physical)
	good := deploy(t, physical, c1)
	if err := loadSysroot(t, physical).MarkBootGood(ctx); err != nil {
		t.Fatal(err)
	}
	bad := deploy(t, physical, c2)

	// Three failed boots of the new default, then GRUB falls back.
	var picked []int
	for range 4 {
		picked = append(picked, grubBoot(t, env))
	}
	if diff := cmp.Diff([]int{0, 0, 0, 1}, picked); diff != "" {
		t.Fatalf("entries booted (-want +got):\n%s", diff)
	}
	s := loadSysroot(t, physical)
	st, err := s.BootCountState()
	if err != nil || !st.FellBack || st.Left != 0 {
		t.Fatalf("BootCountState after fallback = %+v, %v", st, err)
	}
	if s.Deployments[1].Csum != good.Csum {
		t.Fatalf("entry 1 is %s, want the previous deployment %s", s.Deployments[1].Name(), good.Name())
	}

	h := simBoot(t, physical, s.Deployments[1])
	s = h.open(t)
	if err := s.CommitFallback(ctx, s.Booted, "x"); err == nil {
		t.Fatal("CommitFallback accepted the booted deployment as the failed one")
	}
	if err := s.CommitFallback(ctx, s.Deployments[0], "required check 10-fail.sh failed (exit 1)"); err != nil {
		t.Fatal(err)
	}
	s = h.open(t)
	if !s.Deployments[0].Equal(s.Booted) || s.Deployments[1].Csum != bad.Csum {
		t.Fatalf("after CommitFallback: %v (booted %s)", names(s.Deployments), s.Booted.Name())
	}
	if got := envVar(t, env, "boot_counter"); got != "<unset>" {
		t.Fatalf("boot_counter = %s after CommitFallback", got)
	}
	failed, err := health.OpenStore(filepath.Join(physical, "ostree/deploy/testos/var")).FailedCommits()
	if err != nil {
		t.Fatal(err)
	}
	f, ok := failed[bad.Csum]
	if !ok || f.Reason != "required check 10-fail.sh failed (exit 1)" || f.Deployment != bad.Name() || f.Stateroot != "testos" || f.When.IsZero() {
		t.Fatalf("failed list %+v", failed)
	}
	// From now on GRUB boots the committed default.
	if got := grubBoot(t, env); got != 0 {
		t.Fatalf("boot after CommitFallback picked entry %d", got)
	}
}

// TestGrubenvArmedByFinalize: staging does not arm (the boot entries do
// not change), finalization at shutdown does, with the attempts of the
// staged deployment's /etc (carried over from the booted one).
func TestGrubenvArmedByFinalize(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	physical, c1, c2 := newTestSysroot(t, ref)
	env := withGrubenv(t, physical)
	d1 := deploy(t, physical, c1)
	h := simBoot(t, physical, d1)
	if err := h.open(t).MarkBootGood(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(h.root, "etc/greenboot"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.root, "etc/greenboot/greenboot.conf"), []byte("GREENBOOT_MAX_BOOT_ATTEMPTS=2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stageOn(t, h, c2, StageOptions{})
	if got := envVar(t, env, "boot_counter"); got != "<unset>" {
		t.Fatalf("staging armed the counter: %s", got)
	}
	if err := h.open(t).FinalizeStaged(ctx); err != nil {
		t.Fatal(err)
	}
	if got := envVar(t, env, "boot_counter") + " " + envVar(t, env, "boot_success"); got != "2 0" {
		t.Fatalf("after finalize: %s, want 2 0", got)
	}
	st, err := h.open(t).BootCountState()
	if err != nil || st != (BootCountState{Backend: "grubenv", Armed: true, Left: 2}) {
		t.Fatalf("BootCountState = %+v, %v", st, err)
	}
}
