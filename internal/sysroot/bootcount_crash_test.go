package sysroot_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gostree/gostree/internal/grubenv"
)

// TestBootCountArmedAfterCommit: a deploy cut short before the boot
// configuration switches leaves the old default uncounted; one cut after
// the switch but before arming boots the new default uncounted; only a
// finished deploy arms the counter. No crash ever counts down an old
// default.
func TestBootCountArmedAfterCommit(t *testing.T) {
	ref := referenceTool(t)
	gs := gostreeTool(t)
	f := newFixture(t, ref)
	c1 := f.commit(t, ref, "testos/main", "1", treeSpec{content: 1})
	c2 := f.commit(t, ref, "testos/main", "2", treeSpec{boot: 1, content: 2})
	env := filepath.Join(f.root, "boot/grub/grubenv")
	if err := os.MkdirAll(filepath.Dir(env), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := grubenv.Write(env, grubenv.New()); err != nil {
		t.Fatal(err)
	}
	gs.run(t, "admin", "deploy", "--sysroot="+f.root, "--os=testos", "--karg=root=LABEL=rootfs", c1)
	e, err := grubenv.Read(env)
	if err != nil {
		t.Fatal(err)
	}
	e.Unset("boot_counter")
	if err := grubenv.Write(env, e); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		point   string
		def     string
		counter string
	}{
		{"bootswap-before-rename", c1, ""},
		{"bootswap-after-rename", c2, ""},
		{"write-after-finish", c2, ""},
		{"", c2, "3"},
	} {
		g := f.clone(t)
		args := []string{"admin", "deploy", "--sysroot=" + g.root, "--os=testos", c2}
		if tc.point == "" {
			gs.run(t, args...)
		} else if !crashRun(t, gs, tc.point, args...) {
			t.Fatalf("deploy did not reach %s", tc.point)
		}
		deps := statusDeployments(gs.run(t, "admin", "status", "--sysroot="+g.root))
		if len(deps) == 0 || deps[0] != "testos/"+tc.def+".0" {
			t.Errorf("%s: default %v, want %s", tc.point, deps, tc.def)
		}
		e, err := grubenv.Read(filepath.Join(g.root, "boot/grub/grubenv"))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := e.Get("boot_counter")
		if got != tc.counter {
			t.Errorf("%s: boot_counter %q, want %q", tc.point, got, tc.counter)
		}
		if tc.counter == "" && slices.Contains(e.Names(), "boot_counter") {
			t.Errorf("%s: boot_counter set", tc.point)
		}
	}
}
