package sysroot_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/sysroot"
	"github.com/gostree/gostree/internal/testutil"
)

// TestBadInput runs admin commands on input they must refuse and checks
// that each fails with a clear error and leaves the sysroot exactly as
// it was.
func TestBadInput(t *testing.T) {
	ref := referenceTool(t)
	gs := gostreeTool(t)

	base := newFixture(t, ref)
	good := base.commit(t, ref, "testos/good", "1", treeSpec{content: 1})
	base.commit(t, ref, "testos/nokernel", "", treeSpec{kernels: []string{}})
	base.commit(t, ref, "testos/twokernels", "", treeSpec{kernels: []string{"3.6.0", "4.0.0"}})
	base.commit(t, ref, "testos/etcdir", "", treeSpec{files: map[string]string{"usr/etc/aconfigfile": "", "usr/etc/aconfigfile/now-a-dir": "x\n"}})
	base.commit(t, ref, "testos/bothetc", "", treeSpec{files: map[string]string{"etc/legacy": "x\n"}})
	base.commit(t, ref, "testos/bigkernel", "", treeSpec{files: map[string]string{"usr/lib/modules/3.6.0/vmlinuz": strings.Repeat("k", 1<<20)}})
	gs.run(t, "admin", "deploy", "--sysroot="+base.root, "--os=testos", "--karg=root=LABEL=rootfs", "testos/good")
	origin := filepath.Join(base.root, "ostree/deploy/testos/deploy", good+".0.origin")

	cases := []struct {
		name string
		// prepare changes the clone before the command (optional).
		prepare func(t *testing.T, f *fixture)
		args    []string // admin subcommand and arguments
		wantErr string
	}{
		{name: "commit without kernel", args: []string{"deploy", "--os=testos", "testos/nokernel"},
			wantErr: "Failed to find kernel in /usr/lib/modules, /usr/lib/ostree-boot or /boot"},
		{name: "two kernels", args: []string{"deploy", "--os=testos", "testos/twokernels"},
			wantErr: "multiple kernels in /usr/lib/modules: 3.6.0, 4.0.0"},
		{name: "missing stateroot", args: []string{"deploy", "--os=nosuch", "testos/good"},
			wantErr: "No such stateroot: nosuch"},
		{name: "invalid stateroot", args: []string{"deploy", "--os=..", "testos/good"},
			wantErr: "Invalid stateroot name '..'"},
		{name: "missing ref", args: []string{"deploy", "--os=testos", "testos/nosuch"},
			wantErr: "Refspec 'testos/nosuch' not found"},
		{name: "modified config file becomes a directory", prepare: func(t *testing.T, f *fixture) {
			writeFile(t, filepath.Join(f.root, "ostree/deploy/testos/deploy", good+".0/etc/aconfigfile"), "locally modified\n")
		}, args: []string{"deploy", "--os=testos", "testos/etcdir"},
			wantErr: "Modified config file newly defaults to directory 'aconfigfile', cannot merge"},
		{name: "tree with /etc and /usr/etc", args: []string{"deploy", "--os=testos", "testos/bothetc"},
			wantErr: "Tree contains both /etc and /usr/etc"},
		{name: "origin with garbage", prepare: func(t *testing.T, f *fixture) {
			writeFile(t, strings.Replace(origin, base.root, f.root, 1), "this is not a keyfile\n")
		}, args: []string{"deploy", "--os=testos", "testos/good"},
			wantErr: "is not a key-value pair, group, or comment"},
		{name: "origin without refspec", prepare: func(t *testing.T, f *fixture) {
			writeFile(t, strings.Replace(origin, base.root, f.root, 1), "[origin]\nnothing=here\n")
		}, args: []string{"upgrade", "--os=testos"},
			wantErr: "No origin/refspec"},
		{name: "origin file with garbage", prepare: func(t *testing.T, f *fixture) {
			writeFile(t, filepath.Join(filepath.Dir(f.root), "garbage.origin"), "garbage\n")
		}, args: []string{"deploy", "--os=testos", "--origin-file=../garbage.origin", "testos/good"},
			wantErr: "is not a key-value pair, group, or comment"},
		{name: "undeploy index out of range", args: []string{"undeploy", "1"},
			wantErr: "Out of range deployment index 1, expected < 1"},
		{name: "undeploy negative index", args: []string{"undeploy", "--", "-1"},
			wantErr: "Invalid index -1"},
		{name: "pin index out of range", args: []string{"pin", "7"},
			wantErr: "Out of range deployment index 7, expected < 1"},
		{name: "set-origin index out of range", args: []string{"set-origin", "--index=3", "r", "file:///nonexistent", "b"},
			wantErr: "Out of range deployment index 3, expected < 1"},
		{name: "full /boot", prepare: mountSmallBoot, args: []string{"deploy", "--os=testos", "testos/bigkernel"},
			wantErr: "No space left on device"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := base.clone(t)
			if tc.prepare != nil {
				tc.prepare(t, f)
			}
			before := sysrootState(t, f.root)
			cmd := gs.command(nil, append([]string{"admin", tc.args[0], "--sysroot=" + f.root}, tc.args[1:]...)...)
			cmd.Dir = f.root
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("succeeded:\n%s", out)
			}
			if !strings.Contains(string(out), "error: ") || !strings.Contains(string(out), tc.wantErr) {
				t.Errorf("error output lacks %q:\n%s", tc.wantErr, out)
			}
			if d := diffManifests(before, sysrootState(t, f.root)); len(d) > 0 {
				t.Errorf("the failed command changed the sysroot:\n%s", strings.Join(d, "\n"))
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// mountSmallBoot moves the clone's boot onto a 256 KiB tmpfs: room for
// what is there, not for the 1 MiB kernel of testos/bigkernel.
func mountSmallBoot(t *testing.T, f *fixture) {
	testutil.RequiresRoot(t)
	boot := filepath.Join(f.root, "boot")
	saved := filepath.Join(filepath.Dir(f.root), "boot.saved")
	if err := os.Rename(boot, saved); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(boot, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", boot).CombinedOutput(); err != nil {
		testutil.Skip(t, "cannot mount a tmpfs: "+strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", boot).CombinedOutput(); err != nil {
			t.Errorf("umount: %v\n%s", err, out)
		}
	})
	if out, err := exec.Command("cp", "-a", saved+"/.", boot).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	s, err := sysroot.Open(f.root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
}
