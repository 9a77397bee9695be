package sysroot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/testutil"
)

// simHost is a simulated running system: a deployment of a physical
// sysroot "booted" the way ostree-prepare-root leaves things, with the
// deployment directory as / and the physical root's ostree and boot (and
// the stateroot's var) reachable through it, plus a private /run and
// kernel command line.
type simHost struct {
	physical string // the physical sysroot
	root     string // the deployment directory acting as /
	opts     Options
}

// simBoot boots deployment d of the sysroot at physical.
func simBoot(t *testing.T, physical string, d *Deployment) *simHost {
	t.Helper()
	dir := filepath.Join(physical, d.RelPath())
	links := map[string]string{
		"ostree": filepath.Join(physical, "ostree"),
		"boot":   filepath.Join(physical, "boot"),
		"var":    filepath.Join(physical, "ostree/deploy", d.Stateroot, "var"),
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	run := t.TempDir()
	if err := os.WriteFile(filepath.Join(run, "ostree-booted"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return &simHost{physical: physical, root: dir, opts: Options{
		Root:       dir,
		BootedFlag: filepath.Join(run, "ostree-booted"),
		RunDir:     filepath.Join(run, "ostree"),
		Cmdline:    filepath.Join(run, "cmdline"),
	}}
}

// open loads the booted sysroot as `ostree admin` sees it on the host: at /.
func (h *simHost) open(t *testing.T) *Sysroot {
	t.Helper()
	s, err := Open(h.root, h.opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func names(deps []*Deployment) []string {
	var out []string
	for _, d := range deps {
		n := d.Name()
		if d.Staged {
			n += " (staged)"
		}
		out = append(out, n)
	}
	return out
}

func TestBootedStatus(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	physical, c1, c2 := newTestSysroot(t, ref)
	d1 := deploy(t, physical, c1)
	d2 := deploy(t, physical, c2) // list: d2 (default), d1

	tests := []struct {
		name                    string
		boot                    *Deployment
		wantPending, wantRollbk *Deployment
	}{
		{"default booted", d2, nil, d1},
		{"previous booted", d1, d2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := simBoot(t, physical, tc.boot)
			defer func() {
				for _, n := range []string{"ostree", "boot", "var"} {
					os.Remove(filepath.Join(h.root, n))
				}
			}()
			s := h.open(t)
			if !s.IsBooted() {
				t.Fatal("IsBooted() = false")
			}
			if !s.Booted.Equal(tc.boot) {
				t.Fatalf("Booted = %v, want %s", s.Booted, tc.boot.Name())
			}
			if got, _ := s.RequireBooted(); !got.Equal(tc.boot) {
				t.Errorf("RequireBooted = %v", got)
			}
			if m := s.MergeDeployment(""); !m.Equal(tc.boot) {
				t.Errorf("MergeDeployment = %v, want the booted one", m)
			}
			pending, rollback := s.Pending("")
			if !sameDeployment(pending, tc.wantPending) || !sameDeployment(rollback, tc.wantRollbk) {
				t.Errorf("Pending = %v, %v; want %v, %v", pending, rollback, tc.wantPending, tc.wantRollbk)
			}
			// The booted deployment cannot leave the list.
			var without []*Deployment
			for _, d := range s.Deployments {
				if !d.Equal(s.Booted) {
					without = append(without, d)
				}
			}
			err := s.WriteDeployments(context.Background(), without, WriteOptions{})
			if err == nil || !strings.Contains(err.Error(), "Attempting to remove booted deployment") {
				t.Errorf("removing the booted deployment: err = %v", err)
			}
			// The physical sysroot opened elsewhere is not the booted one.
			p, err := Open(physical, h.opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			if p.IsBooted() || p.Booted != nil {
				t.Errorf("sysroot at %s reads as booted", physical)
			}
		})
	}
}

func sameDeployment(a, b *Deployment) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(b)
}

// TestBootedFromCmdline covers roots that are not the deployment
// directory: the ostree= kernel argument names the deployment.
func TestBootedFromCmdline(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	physical, c1, c2 := newTestSysroot(t, ref)
	deploy(t, physical, c1)
	deploy(t, physical, c2)
	s, err := Open(physical)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := s.Deployments[1]
	arg, _ := ostreeKarg(want.BootConfig)

	run := t.TempDir()
	opts := Options{
		Root:       physical, // the sysroot is /, but / is no deployment
		BootedFlag: filepath.Join(run, "ostree-booted"),
		RunDir:     filepath.Join(run, "ostree"),
		Cmdline:    filepath.Join(run, "cmdline"),
	}
	if err := os.WriteFile(opts.BootedFlag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cmdline string
		wantErr string
	}{
		{"ostree karg", "BOOT_IMAGE=/vmlinuz root=LABEL=MOO ostree=" + arg + " quiet\n", ""},
		{"no ostree karg", "root=LABEL=MOO quiet\n", "Unexpected state: /run/ostree-booted found and in / sysroot, but bootloader entry not found"},
		{"dangling ostree karg", "ostree=/ostree/boot.1/testos/" + strings.Repeat("0", 64) + "/7\n", "bootloader entry not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(opts.Cmdline, []byte(tc.cmdline), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := Open(physical, opts)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Load(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Load: err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !s.Booted.Equal(want) {
				t.Errorf("Booted = %v, want %s", s.Booted, want.Name())
			}
		})
	}
}

func TestNotBooted(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	physical, c1, _ := newTestSysroot(t, ref)
	deploy(t, physical, c1)
	run := t.TempDir()
	// /run/ostree-booted absent: nothing is booted even with / pointing
	// at the sysroot.
	s, err := Open(physical, Options{Root: physical, BootedFlag: filepath.Join(run, "none"), RunDir: run})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.IsBooted() || s.Booted != nil {
		t.Fatal("sysroot reads as booted without the booted flag")
	}
	if _, err := s.RequireBooted(); err == nil || err.Error() != "Not currently booted into an OSTree system" {
		t.Errorf("RequireBooted: %v", err)
	}
}

// TestBootedFromBackingRoot: on a composefs root, / is neither the
// deployment directory nor reachable through the ostree= bootlink once
// the bootlinks were swapped; the device and inode prepare-root records
// in /run/ostree-booted (backing-root-device-inode) name the deployment.
func TestBootedFromBackingRoot(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	physical, c1, c2 := newTestSysroot(t, ref)
	deploy(t, physical, c1)
	deploy(t, physical, c2)
	s, err := Open(physical)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := s.Deployments[1]
	var st unix.Stat_t
	if err := unix.Stat(s.Abs(want.RelPath()), &st); err != nil {
		t.Fatal(err)
	}
	flag, err := gvariant.Marshal(gvariant.MustType("a{sv}"), []any{
		gvariant.DictEntry{Key: "backing-root-device-inode", Value: gvariant.NewVariant("(tt)", []any{uint64(st.Dev), st.Ino})},
		gvariant.DictEntry{Key: "composefs", Value: gvariant.NewVariant("b", true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	run := t.TempDir()
	opts := Options{
		Root:       physical, // the sysroot is /, but / is no deployment
		BootedFlag: filepath.Join(run, "ostree-booted"),
		RunDir:     filepath.Join(run, "ostree"),
		Cmdline:    filepath.Join(run, "cmdline"),
	}
	for name, data := range map[string][]byte{opts.BootedFlag: flag, opts.Cmdline: []byte("ostree=/ostree/boot.1/testos/" + strings.Repeat("0", 64) + "/7\n")} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err = Open(physical, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !s.Booted.Equal(want) {
		t.Errorf("Booted = %v, want %s", s.Booted, want.Name())
	}
}
