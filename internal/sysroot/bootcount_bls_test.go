package sysroot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/bootloader"
	"github.com/gostree/gostree/internal/testutil"
)

func TestParseEntryName(t *testing.T) {
	for name, want := range map[string]blsCounter{
		"ostree-1-os.conf":        {base: "ostree-1-os"},
		"ostree-1-os+3.conf":      {ok: true, left: 3, base: "ostree-1-os", suffx: "+3"},
		"ostree-2-os+0-3.conf":    {ok: true, left: 0, done: 3, base: "ostree-2-os", suffx: "+0-3"},
		"ostree-2-a+b.conf":       {base: "ostree-2-a+b"},
		"ostree-2-os+1-.conf":     {base: "ostree-2-os+1-"},
		"ostree-2-os+-1.conf":     {base: "ostree-2-os+-1"},
		"ostree-2-os+x+12-3.conf": {ok: true, left: 12, done: 3, base: "ostree-2-os+x", suffx: "+12-3"},
	} {
		if got := parseEntryName(name); got != want {
			t.Errorf("parseEntryName(%q) = %+v, want %+v", name, got, want)
		}
	}
}

// sdBoot models systemd-boot's boot counting over the sysroot's entries:
// entries sort as the Boot Loader Specification says (bad entries, with
// LEFT 0, last; then by version, highest first), the first is booted, and
// a counted entry is renamed to one attempt less before it boots. It
// returns the base name of the booted entry.
func sdBoot(t *testing.T, physical string) string {
	t.Helper()
	dir := filepath.Join(physical, "boot/loader/entries")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		name, version string
		c             blsCounter
	}
	var list []entry
	for _, e := range ents {
		c, err := bootloader.LoadConfig(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, entry{e.Name(), c.Value("version"), parseEntryName(e.Name())})
	}
	bad := func(e entry) bool { return e.c.ok && e.c.left == 0 }
	sort.SliceStable(list, func(i, j int) bool {
		if bad(list[i]) != bad(list[j]) {
			return bad(list[j])
		}
		if v := strverscmp(list[i].version, list[j].version); v != 0 {
			return v > 0
		}
		return list[i].c.base > list[j].c.base
	})
	first := list[0]
	if first.c.ok && first.c.left > 0 {
		next := fmt.Sprintf("%s+%d-%d.conf", first.c.base, first.c.left-1, first.c.done+1)
		if err := os.Rename(filepath.Join(dir, first.name), filepath.Join(dir, next)); err != nil {
			t.Fatal(err)
		}
	}
	return first.c.base
}

func entryNames(t *testing.T, physical string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(physical, "boot/loader/entries"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// deploymentOfEntry is the deployment whose entry has base name base.
func deploymentOfEntry(t *testing.T, s *Sysroot, base string) *Deployment {
	t.Helper()
	for _, d := range s.Deployments {
		if b, _ := s.entryBase(d); b == base {
			return d
		}
	}
	t.Fatalf("no deployment has entry %s", base)
	return nil
}

func TestBLSBootCounting(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	physical, c1, c2 := newTestSysroot(t, ref)
	run(t, ref, "--repo="+filepath.Join(physical, "ostree/repo"), "config", "set", "sysroot.boot-counting-tries", "3")

	deploy(t, physical, c1)
	if diff := cmp.Diff([]string{"ostree-1+3.conf"}, entryNames(t, physical)); diff != "" {
		t.Fatalf("entries (-want +got):\n%s", diff)
	}
	s := loadSysroot(t, physical)
	if len(s.Deployments) != 1 {
		t.Fatalf("a counted entry does not load: %v", names(s.Deployments))
	}
	if st, err := s.BootCountState(); err != nil || st != (BootCountState{Backend: "bls", Armed: true, Left: 3}) {
		t.Fatalf("BootCountState = %+v, %v", st, err)
	}

	// The first attempt succeeds and blesses the entry.
	booted := sdBoot(t, physical)
	h1 := simBoot(t, physical, deploymentOfEntry(t, s, booted))
	if err := h1.open(t).MarkBootGood(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ostree-1.conf"}, entryNames(t, physical)); diff != "" {
		t.Fatalf("entries after MarkBootGood (-want +got):\n%s", diff)
	}

	// A new deployment is counted; the blessed one stays blessed.
	bad := deploy(t, physical, c2)
	if diff := cmp.Diff([]string{"ostree-1.conf", "ostree-2+3.conf"}, entryNames(t, physical)); diff != "" {
		t.Fatalf("entries after second deploy (-want +got):\n%s", diff)
	}
	var picked []string
	for range 4 {
		picked = append(picked, sdBoot(t, physical))
	}
	if diff := cmp.Diff([]string{"ostree-2", "ostree-2", "ostree-2", "ostree-1"}, picked); diff != "" {
		t.Fatalf("entries booted (-want +got):\n%s", diff)
	}
	s = loadSysroot(t, physical)
	if st, err := s.BootCountState(); err != nil || st != (BootCountState{Backend: "bls", Armed: true, FellBack: true}) {
		t.Fatalf("BootCountState after fallback = %+v, %v", st, err)
	}

	h := h1
	s = h.open(t)
	if !deploymentOfEntry(t, s, "ostree-1").Equal(s.Booted) {
		t.Fatal("the fallback did not boot the first deployment")
	}
	if err := s.CommitFallback(ctx, s.Deployments[0], "did not finish booting after 3 attempts"); err != nil {
		t.Fatal(err)
	}
	// The failed entry keeps its exhausted counter through the rewrite.
	if diff := cmp.Diff([]string{"ostree-1+0-3.conf", "ostree-2.conf"}, entryNames(t, physical)); diff != "" {
		t.Fatalf("entries after CommitFallback (-want +got):\n%s", diff)
	}
	s = h.open(t)
	if !s.Deployments[0].Equal(s.Booted) || s.Deployments[1].Csum != bad.Csum {
		t.Fatalf("deployments after CommitFallback: %v", names(s.Deployments))
	}
	if got := sdBoot(t, physical); got != "ostree-2" {
		t.Fatalf("next boot picks %s", got)
	}
	if st, err := s.BootCountState(); err != nil || st != (BootCountState{Backend: "bls"}) {
		t.Fatalf("BootCountState after CommitFallback = %+v, %v", st, err)
	}

	// Kernel arguments of a counted entry are edited in its file.
	if err := s.SetKargsInPlace(s.Deployments[1], s.Deployments[1].BootConfig.Value("options")+" debug"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(physical, "boot/loader/entries/ostree-1+0-3.conf"))
	if err != nil || !strings.Contains(string(b), " debug\n") {
		t.Fatalf("kargs not in the counted entry: %v %s", err, b)
	}

	// Blessing never replaces an entry of the same name.
	dir := filepath.Join(physical, "boot/loader/entries")
	if err := os.Rename(filepath.Join(dir, "ostree-2.conf"), filepath.Join(dir, "ostree-2+2-1.conf")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ostree-2.conf"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := h.open(t).MarkBootGood(ctx); err == nil || !strings.Contains(err.Error(), "ostree-2+2-1.conf") {
		t.Fatalf("MarkBootGood over an existing entry: %v", err)
	}
}

// FuzzParseEntryName: any name splits into a base and a counter that
// put back together give the name again.
func FuzzParseEntryName(f *testing.F) {
	for _, s := range []string{"ostree-1-os.conf", "ostree-2-os+3.conf", "ostree-2-os+0-3.conf", "a+b+1-2.conf", "+.conf", "x+-1.conf", "x+1-.conf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !strings.HasSuffix(name, ".conf") {
			return
		}
		c := parseEntryName(name)
		if c.base+c.suffx+".conf" != name {
			t.Fatalf("%q split into %q + %q", name, c.base, c.suffx)
		}
		if c.ok != (c.suffx != "") || c.left < 0 || c.done < 0 {
			t.Fatalf("%q: counter %+v", name, c)
		}
	})
}
