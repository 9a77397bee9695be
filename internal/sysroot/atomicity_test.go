package sysroot_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gostree/gostree/internal/bootloader"
	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/sysroot"
)

// atomicityFixtures are the sysroots the crash tests start from, made
// once: commits c1 and c2 share a kernel and have no version, c3 has
// another kernel and version 3; all three are on testos/main (c3 the
// head; the fixtures deploy without pruning). t2 has [c2.0, c1.0] deployed, t3 [c3.0, c2.0], and dirty is t3
// after an undeploy of c3 that died before its cleanup.
type atomicityFixtures struct {
	c1, c2, c3    string
	t2, t3, dirty *fixture
}

func makeAtomicityFixtures(t *testing.T, ref, gs tool) *atomicityFixtures {
	t.Helper()
	a := &atomicityFixtures{}
	f := newFixture(t, ref)
	a.c1 = f.commit(t, ref, "testos/main", "", treeSpec{content: 1})
	a.c2 = f.commit(t, ref, "testos/main", "", treeSpec{content: 2})
	a.c3 = f.commit(t, ref, "testos/main", "3", treeSpec{boot: 1, content: 3})
	gs.run(t, "admin", "deploy", "--sysroot="+f.root, "--os=testos", "--no-prune", "--karg=root=LABEL=rootfs", a.c1)
	gs.run(t, "admin", "deploy", "--sysroot="+f.root, "--os=testos", "--no-prune", a.c2)
	a.t2 = f
	a.t3 = f.clone(t)
	gs.run(t, "admin", "deploy", "--sysroot="+a.t3.root, "--os=testos", "--no-prune", a.c3)
	a.dirty = a.t3.clone(t)
	if !crashRun(t, gs, "write-after-finish", "admin", "undeploy", "--sysroot="+a.dirty.root, "0") {
		t.Fatal("undeploy did not reach write-after-finish")
	}
	return a
}

// crashRun runs the tool with GOSTREE_TEST_CRASHPOINT=point and reports
// whether it died of SIGKILL there; a run that finishes must succeed.
func crashRun(t *testing.T, tl tool, point string, args ...string) bool {
	t.Helper()
	cmd := tl.command([]string{"GOSTREE_TEST_CRASHPOINT=" + point}, args...)
	out, err := cmd.CombinedOutput()
	if killed(err) {
		return true
	}
	if err != nil {
		t.Fatalf("%s %s (crash point %s): %v\n%s", tl.name, strings.Join(args, " "), point, err, out)
	}
	return false
}

// killedRun starts the tool and sends it SIGKILL after d; it reports
// whether the signal arrived before the command finished.
func killedRun(t *testing.T, tl tool, d time.Duration, args ...string) bool {
	t.Helper()
	cmd := tl.command(nil, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(d, func() { _ = cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	if killed(err) {
		return true
	}
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tl.name, strings.Join(args, " "), err, out.String())
	}
	return false
}

func killed(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// checkBootable checks what a bootloader and the next boot need from
// the sysroot at f.root and returns its deployments (STATEROOT/NAME, in
// order): gostree and the reference load the same list; every BLS entry
// names an existing kernel and initramfs; every ostree= link resolves to
// a complete deployment (its tree as committed, /etc and .origin); and,
// with fsck, the system repo passes the reference's fsck.
func checkBootable(t *testing.T, f *fixture, ref tool, fsck bool) []string {
	t.Helper()
	s, err := sysroot.Open(f.root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Load(context.Background()); err != nil {
		t.Fatalf("gostree cannot load the sysroot: %v", err)
	}
	var ours []string
	for _, d := range s.Deployments {
		ours = append(ours, d.Stateroot+"/"+d.Name())
	}
	theirs := statusDeployments(ref.run(t, "admin", "status", "--sysroot="+f.root))
	if !slices.Equal(ours, theirs) {
		t.Errorf("gostree loads %v, the reference %v", ours, theirs)
	}

	entries, err := filepath.Glob(filepath.Join(f.root, "boot/loader/entries/ostree-*.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(ours) {
		t.Errorf("%d boot entries for %d deployments", len(entries), len(ours))
	}
	for _, e := range entries {
		c, err := bootloader.LoadConfig(e)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		name := filepath.Base(e)
		for _, k := range []string{"linux", "initrd"} {
			p := c.Value(k)
			if p == "" {
				t.Errorf("%s: no %s", name, k)
			} else if !exists(filepath.Join(f.root, "boot", p)) {
				t.Errorf("%s: %s %s missing", name, k, p)
			}
		}
		var link string
		for _, a := range strings.Fields(c.Value("options")) {
			if v, ok := strings.CutPrefix(a, "ostree="); ok {
				link = v
			}
		}
		if link == "" {
			t.Errorf("%s: no ostree= argument", name)
			continue
		}
		dir, err := filepath.EvalSymlinks(filepath.Join(f.root, link))
		if err != nil {
			t.Errorf("%s: ostree=%s does not resolve: %v", name, link, err)
			continue
		}
		checkDeploymentComplete(t, f, dir)
	}

	if !fsck {
		return ours
	}
	if o, e, err := ref.try("fsck", "--repo="+f.repo()); err != nil {
		t.Errorf("reference fsck: %v\n%s%s", err, o, e)
	}
	return ours
}

// checkNoOrphans checks that a cleaned-up sysroot holds nothing the
// boot configuration does not use: deployment directories and origins,
// kernel directories, and the other boot version's entries and links.
func checkNoOrphans(t *testing.T, f *fixture) {
	t.Helper()
	s, err := sysroot.Open(f.root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, d := range s.Deployments {
		want[d.RelPath()] = true
		want[d.OriginRelPath()] = true
		want["boot/ostree/"+d.Stateroot+"-"+d.BootCsum] = true
	}
	want[fmt.Sprintf("boot/loader.%d", s.BootVersion)] = true
	want[fmt.Sprintf("ostree/boot.%d", s.BootVersion)] = true
	want[fmt.Sprintf("ostree/boot.%d.%d", s.BootVersion, s.SubBootVersion)] = true
	for _, pattern := range []string{"ostree/deploy/*/deploy/*", "boot/ostree/*", "boot/loader.*", "ostree/boot.*"} {
		got, err := filepath.Glob(filepath.Join(f.root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range got {
			rel, _ := filepath.Rel(f.root, p)
			if !want[rel] {
				t.Errorf("orphan left after cleanup: %s", rel)
			}
		}
	}
}

// checkDeploymentComplete compares a deployment directory with the tree
// its commit was made from.
func checkDeploymentComplete(t *testing.T, f *fixture, dir string) {
	t.Helper()
	rel, _ := filepath.Rel(f.root, dir)
	csum, _, _ := strings.Cut(filepath.Base(dir), ".")
	if filepath.Dir(filepath.Dir(filepath.Dir(rel))) != "ostree/deploy" || filepath.Base(filepath.Dir(rel)) != "deploy" {
		t.Errorf("boot link leads to %s, not a deployment", rel)
		return
	}
	b, err := os.ReadFile(dir + ".origin")
	if err != nil {
		t.Errorf("deployment %s: %v", rel, err)
	} else if _, err := keyfile.Parse(b); err != nil {
		t.Errorf("deployment %s: origin: %v", rel, err)
	}
	tree, ok := f.trees[csum]
	if !ok {
		t.Errorf("deployment %s of an unknown commit", rel)
		return
	}
	if d := diffManifests(manifest(t, filepath.Join(tree, "usr"), nil), manifest(t, filepath.Join(dir, "usr"), nil)); len(d) > 0 {
		t.Errorf("deployment %s: /usr differs from its commit:\n%s", rel, strings.Join(d, "\n"))
	}
	if d := diffManifests(manifest(t, filepath.Join(tree, "usr/etc"), nil), manifest(t, filepath.Join(dir, "etc"), nil)); len(d) > 0 {
		t.Errorf("deployment %s: /etc is not a copy of /usr/etc:\n%s", rel, strings.Join(d, "\n"))
	}
}

// TestCrashAtomicity kills deploy, undeploy and cleanup at every crash
// point (and a deploy after a sweep of delays), then checks that the
// sysroot still boots the old or the new deployment list, and that
// running the command again (or `admin cleanup` once the new list is in
// place) ends exactly where an uninterrupted run does.
func TestCrashAtomicity(t *testing.T) {
	ref := referenceTool(t)
	gs := gostreeTool(t)
	a := makeAtomicityFixtures(t, ref, gs)
	dep := func(c string) string { return "testos/" + c + ".0" }
	dep1 := func(c string) string { return "testos/" + c + ".1" }

	type scenario struct {
		name     string
		from     *fixture
		args     []string // after --sysroot
		old, new []string
		points   []string
	}
	scenarios := []scenario{
		{
			name: "deploy", from: a.t2, args: []string{"deploy", "--os=testos", a.c3},
			old: []string{dep(a.c2), dep(a.c1)}, new: []string{dep(a.c3), dep(a.c2)},
			points: []string{
				"cleanup-after-bootversions", "deploy-before-checkout", "deploy-after-checkout",
				"deploy-after-origin", "bootswap-after-kernel", "bootswap-after-kernel:2",
				"bootswap-after-bootlinks", "bootswap-before-rename", "bootswap-after-rename",
				"write-after-finish", "cleanup-deployment-origin-removed", "cleanup-after-refs:2",
			},
		},
		{
			// Same kernel and kernel arguments: only the ostree/boot.N
			// links change.
			name: "deploy-bootlinks", from: a.t2, args: []string{"deploy", "--os=testos", a.c2},
			old: []string{dep(a.c2), dep(a.c1)}, new: []string{dep1(a.c2), dep(a.c2)},
			points: []string{"bootlinks-before-sync", "bootlinks-after-swap", "write-after-finish", "cleanup-deployment-origin-removed"},
		},
		{
			name: "undeploy", from: a.t3, args: []string{"undeploy", "0"},
			old: []string{dep(a.c3), dep(a.c2)}, new: []string{dep(a.c2)},
			points: []string{
				"bootswap-after-bootlinks", "bootswap-before-rename", "bootswap-after-rename",
				"cleanup-deployment-origin-removed", "cleanup-before-bootdir",
			},
		},
		{
			name: "cleanup", from: a.dirty, args: []string{"cleanup"},
			old: []string{dep(a.c2)}, new: []string{dep(a.c2)},
			points: []string{"cleanup-after-bootversions", "cleanup-deployment-origin-removed", "cleanup-before-bootdir", "cleanup-after-refs"},
		},
	}

	for _, sc := range scenarios {
		// The end state of an uninterrupted run.
		clean := sc.from.clone(t)
		start := time.Now()
		gs.run(t, append([]string{"admin", sc.args[0], "--sysroot=" + clean.root}, sc.args[1:]...)...)
		elapsed := time.Since(start)
		if got := checkBootable(t, clean, ref, true); !slices.Equal(got, sc.new) {
			t.Fatalf("%s: uninterrupted run leaves %v, want %v", sc.name, got, sc.new)
		}
		checkNoOrphans(t, clean)
		want := anySubbootversion(sysrootState(t, clean.root))

		type crash struct {
			name  string
			point string
			delay time.Duration
		}
		var crashes []crash
		for _, p := range sc.points {
			crashes = append(crashes, crash{name: p, point: p})
		}
		if sc.name == "deploy" {
			// Kills at arbitrary moments reach into the checkout and the
			// prune, which have no crash points.
			for i := 1; i <= 3; i++ {
				d := elapsed * time.Duration(i) / 4
				crashes = append(crashes, crash{name: fmt.Sprintf("after-%d-of-4", i), delay: d})
			}
		}
		var mu sync.Mutex // t.Run with t.Parallel: serialize nothing but the summary
		sawNew := map[string]bool{}
		t.Run(sc.name, func(t *testing.T) {
			for _, c := range crashes {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					f := sc.from.clone(t)
					args := append([]string{"admin", sc.args[0], "--sysroot=" + f.root}, sc.args[1:]...)
					if c.point != "" {
						if !crashRun(t, gs, c.point, args...) {
							t.Fatalf("crash point %s not reached", c.point)
						}
					} else if !killedRun(t, gs, c.delay, args...) {
						t.Logf("finished before SIGKILL after %v", c.delay)
					}
					got := checkBootable(t, f, ref, true)
					isNew := slices.Equal(got, sc.new)
					if !isNew && !slices.Equal(got, sc.old) {
						t.Fatalf("after the crash the sysroot boots %v: neither the old %v nor the new %v", got, sc.old, sc.new)
					}
					mu.Lock()
					sawNew[c.name] = isNew
					mu.Unlock()
					// Finish: the same command again, or a cleanup when
					// the switch is done.
					if isNew {
						gs.run(t, "admin", "cleanup", "--sysroot="+f.root)
					} else {
						gs.run(t, args...)
					}
					if got := checkBootable(t, f, ref, false); !slices.Equal(got, sc.new) {
						t.Fatalf("after finishing the sysroot boots %v, want %v", got, sc.new)
					}
					checkNoOrphans(t, f)
					if d := diffManifests(want, anySubbootversion(sysrootState(t, f.root))); len(d) > 0 {
						t.Errorf("after finishing the sysroot differs from an uninterrupted run:\n%s", strings.Join(d, "\n"))
					}
				})
			}
		})
		// The commit point must be where the crash points say it is.
		for _, p := range []string{"bootswap-before-rename", "bootlinks-before-sync"} {
			if v, ok := sawNew[p]; ok && v {
				t.Errorf("%s: a crash at %s already boots the new list", sc.name, p)
			}
		}
		for _, p := range []string{"bootswap-after-rename", "bootlinks-after-swap"} {
			if v, ok := sawNew[p]; ok && !v {
				t.Errorf("%s: a crash at %s still boots the old list", sc.name, p)
			}
		}
	}
}
