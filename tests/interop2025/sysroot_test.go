package interop2025

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Fixed timestamps make both implementations' commits identical, so that
// whole sysroots can be compared.
const (
	ts1 = "--timestamp=@1700000000"
	ts2 = "--timestamp=@1700000100"
)

// writeOSTree writes a minimal bootable tree: a kernel and initramfs in
// the modules layout, /usr/etc, and /var content (the initial-var
// feature copies it into a new stateroot's /var).
func writeOSTree(t *testing.T, dir, version string) {
	t.Helper()
	files := map[string]string{
		"usr/lib/modules/6.1.0/vmlinuz":       "kernel " + version,
		"usr/lib/modules/6.1.0/initramfs.img": "initramfs",
		"usr/etc/os-release":                  "ID=testos\nVERSION=" + version + "\n",
		"usr/bin/sh":                          "#!/bin/true\n",
		"var/lib/app/state":                   "initial state\n",
		"var/log/README":                      "logs\n",
	}
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// step is one command of a scenario, run by the program at index who
// (0 or 1) of the pair under test.
type step struct {
	who  int
	args []string
}

// scenario builds a sysroot in dir: init-fs, stateroot-init, two commits
// and deployments, each step by the program its index names.
func scenario(dir string, who [6]int, extra ...step) []step {
	sr, repo := "--sysroot="+dir+"/sysroot", "--repo="+dir+"/sysroot/ostree/repo"
	steps := []step{
		{who[0], []string{"admin", "init-fs", "--modern", dir + "/sysroot"}},
		{who[1], []string{"admin", "stateroot-init", sr, "testos"}},
	}
	steps = append(steps, extra...)
	return append(steps,
		step{who[2], []string{"commit", repo, "-b", "testos/main", "--tree=dir=" + dir + "/tree1", ts1, "-s", "one", "--add-metadata-string=version=1"}},
		step{who[3], []string{"admin", "deploy", sr, "--os=testos", "--karg=root=LABEL=rootfs", "--karg=quiet", "testos/main"}},
		step{who[4], []string{"commit", repo, "-b", "testos/main", "--tree=dir=" + dir + "/tree2", ts2, "-s", "two", "--add-metadata-string=version=2"}},
		step{who[5], []string{"admin", "deploy", sr, "--os=testos", "testos/main"}},
	)
}

// snapshot is what a sysroot looks like to compare two of them: boot
// entries (names and contents), the stateroot's /var and the deployment
// list, with the sysroot's own path taken out.
func snapshot(t *testing.T, s *suite, dir string) string {
	t.Helper()
	var b strings.Builder
	root := s.host(dir + "/sysroot")
	for _, sub := range []string{"boot/loader/entries", "ostree/deploy/testos/var"} {
		var lines []string
		base := filepath.Join(root, sub)
		filepath.Walk(base, func(p string, fi os.FileInfo, err error) error {
			if err != nil {
				lines = append(lines, "error "+err.Error())
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			line := rel + " " + fi.Mode().String()
			if fi.Mode().IsRegular() {
				c, _ := os.ReadFile(p)
				line += "\n" + string(c)
			}
			lines = append(lines, line)
			return nil
		})
		sort.Strings(lines)
		b.WriteString(strings.Join(lines, "\n") + "\n")
	}
	return strings.ReplaceAll(b.String(), dir, "DIR")
}

// TestSysrootBuiltAlike: the reference and we each build the same
// sysroot from identical commits, with and without the 2022.7 entry
// names and sysroot.bootprefix; entries, /var and status must match.
func TestSysrootBuiltAlike(t *testing.T) {
	s := getSuite(t)
	for _, tc := range []struct {
		name       string
		env        []string
		bootprefix bool
	}{
		{"default", nil, false},
		{"bootloader-naming-1", []string{"OSTREE_SYSROOT_OPTS=bootloader-naming-1"}, false},
		{"bootprefix", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var snaps, statuses [2]string
			for i, prog := range []string{ref, ours} {
				dir := s.tempDir(t)
				writeOSTree(t, s.host(dir+"/tree1"), "1")
				writeOSTree(t, s.host(dir+"/tree2"), "2")
				var extra []step
				if tc.bootprefix {
					extra = append(extra, step{0, []string{"config", "--repo=" + dir + "/sysroot/ostree/repo", "set", "sysroot.bootprefix", "true"}})
				}
				for _, st := range scenario(dir, [6]int{}, extra...) {
					s.must(t, tc.env, prog, st.args...)
				}
				snaps[i] = snapshot(t, s, dir)
				statuses[i] = strings.ReplaceAll(s.must(t, tc.env, prog, "admin", "status", "--sysroot="+dir+"/sysroot"), dir, "DIR")
			}
			if snaps[0] != snaps[1] {
				t.Errorf("sysroots differ:\nreference:\n%s\nours:\n%s", snaps[0], snaps[1])
			}
			if statuses[0] != statuses[1] {
				t.Errorf("status differs:\nreference:\n%s\nours:\n%s", statuses[0], statuses[1])
			}
			if want := map[bool]string{false: "ostree-2.conf", true: "ostree-2-testos.conf"}[tc.env != nil]; !strings.Contains(snaps[1], "boot/loader/entries/"+want) {
				t.Errorf("no entry %s:\n%s", want, snaps[1])
			}
			if tc.bootprefix && !strings.Contains(snaps[1], "linux /boot/ostree/") {
				t.Errorf("bootprefix entries lack /boot/:\n%s", snaps[1])
			}
		})
	}
}

// TestSysrootCrossWrite alternates the two implementations step by step
// (stateroot-init by one, deploy by the other, ...), then each reads and
// changes what the other wrote: status, undeploy, pin, status -D and
// lock-finalization without a staged deployment.
func TestSysrootCrossWrite(t *testing.T) {
	s := getSuite(t)
	progs := [2]string{ref, ours}
	for _, order := range []struct {
		name string
		who  [6]int
	}{
		{"reference inits, we deploy", [6]int{0, 0, 1, 1, 0, 1}},
		{"we init, reference deploys", [6]int{1, 1, 0, 0, 1, 0}},
	} {
		t.Run(order.name, func(t *testing.T) {
			dir := s.tempDir(t)
			writeOSTree(t, s.host(dir+"/tree1"), "1")
			writeOSTree(t, s.host(dir+"/tree2"), "2")
			for _, st := range scenario(dir, order.who) {
				s.must(t, nil, progs[st.who], st.args...)
			}
			sr := "--sysroot=" + dir + "/sysroot"
			same := func(args ...string) {
				t.Helper()
				want := s.run(t, nil, "", ref, args...)
				got := s.run(t, nil, "", ours, args...)
				if want != got {
					t.Errorf("%s:\nreference: %s\nours: %s", strings.Join(args, " "), want, got)
				}
			}
			same("admin", "status", sr)
			same("admin", "status", "-D", sr)
			same("admin", "status", "-S", sr)
			same("admin", "lock-finalization", sr)
			same("admin", "pin", "booted", sr)
			// The last writer changes, the other reads back.
			last := order.who[5]
			s.must(t, nil, progs[1-last], "admin", "pin", sr, "1")
			same("admin", "status", sr)
			s.must(t, nil, progs[last], "admin", "pin", "-u", sr, "1")
			s.must(t, nil, progs[1-last], "admin", "undeploy", sr, "1")
			same("admin", "status", sr)
			if n := len(readDir(t, s.host(dir+"/sysroot/boot/loader/entries"))); n != 1 {
				t.Errorf("%d boot entries after undeploy", n)
			}
		})
	}
}

// TestStatusIsDefaultEmpty: without deployments both refuse.
func TestStatusIsDefaultEmpty(t *testing.T) {
	s := getSuite(t)
	dir := s.tempDir(t)
	s.must(t, nil, ref, "admin", "init-fs", "--modern", dir+"/sysroot")
	want := s.run(t, nil, "", ref, "admin", "status", "--is-default", "--sysroot="+dir+"/sysroot")
	got := s.run(t, nil, "", ours, "admin", "status", "--is-default", "--sysroot="+dir+"/sysroot")
	if want != got || got.code == 0 {
		t.Errorf("reference: %s\nours: %s", want, got)
	}
}

func readDir(t *testing.T, p string) []os.DirEntry {
	t.Helper()
	ents, err := os.ReadDir(p)
	if err != nil {
		t.Fatal(err)
	}
	return ents
}
