package prepareroot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	wantUnit := "# Written by gostree-system-generator: the booted deployment's /var is its stateroot's.\n" +
		"[Unit]\nDescription=Stateroot /var of the booted deployment\n" +
		"ConditionKernelCommandLine=!systemd.volatile\n" +
		"DefaultDependencies=no\nAfter=local-fs-pre.target sysroot.mount\n" +
		"Before=local-fs.target umount.target\nConflicts=umount.target\n\n" +
		"[Mount]\nWhat=/sysroot/ostree/deploy/os/var\nWhere=/var\nOptions=bind\n"
	remountLink := "local-fs.target.requires/gostree-remount.service -> /usr/lib/systemd/system/gostree-remount.service\n"
	tests := []struct {
		name     string
		cmdline  string // "" means the fixture's
		fstab    string
		flag     bool
		want     string // the generator directory's listing
		wantUnit bool
	}{
		{name: "not_ostree", cmdline: "root=/dev/vda rw", want: ""},
		{name: "var_by_initramfs", flag: true, want: "local-fs.target.requires/\n" + remountLink},
		{name: "var_mount", wantUnit: true,
			want: "local-fs.target.requires/\n" + remountLink + "local-fs.target.requires/var.mount -> ../var.mount\nvar.mount\n"},
		{name: "fstab_mounts_var", fstab: "# comment /var\nLABEL=root / ext4 rw 0 1\nLABEL=var /var/ ext4 rw 0 2\n",
			want: "local-fs.target.requires/\n" + remountLink},
		{name: "fstab_without_var", fstab: "LABEL=root / ext4 rw 0 1\n#LABEL=var /var ext4 rw 0 2\n", wantUnit: true,
			want: "local-fs.target.requires/\n" + remountLink + "local-fs.target.requires/var.mount -> ../var.mount\nvar.mount\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := buildFixture(t, false)
			o := GeneratorOptions{Cmdline: f.cmdline(), RunDir: f.run, Sysroot: f.sysroot, Fstab: filepath.Join(f.base, "fstab")}
			if tc.cmdline != "" {
				o.Cmdline = tc.cmdline
			}
			if tc.fstab != "" {
				mustWrite(t, o.Fstab, tc.fstab)
			}
			if tc.flag {
				f.markVar(t)
			}
			dir := filepath.Join(f.base, "normal")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			// Twice: a generator runs again on every daemon-reload.
			for i := 0; i < 2; i++ {
				if err := Generate(o, dir); err != nil {
					t.Fatal(err)
				}
				if got := listLinks(t, dir); got != tc.want {
					t.Errorf("run %d: generator wrote\n%s\nwant\n%s", i+1, got, tc.want)
				}
			}
			if b, err := os.ReadFile(filepath.Join(dir, "var.mount")); tc.wantUnit && string(b) != wantUnit {
				t.Errorf("var.mount:\n%s\nwant\n%s (%v)", b, wantUnit, err)
			}
			if _, err := os.Lstat(filepath.Join(f.run, MountVarFlag)); tc.flag && err != nil {
				t.Errorf("%s: %v", MountVarFlag, err)
			}
		})
	}
}

func TestGenerateBrokenBootlink(t *testing.T) {
	f := buildFixture(t, false)
	if err := os.RemoveAll(f.sysroot + "/ostree/deploy/os/var"); err != nil {
		t.Fatal(err)
	}
	err := Generate(GeneratorOptions{Cmdline: f.cmdline(), RunDir: f.run, Sysroot: f.sysroot, Fstab: "/nonexistent"}, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "stateroot var directory "+f.sysroot+"/ostree/deploy/os/var does not exist") {
		t.Fatalf("error %v", err)
	}
}

// TestGeneratorCommand runs the generator as systemd does, by its name
// with three directories.
func TestGeneratorCommand(t *testing.T) {
	f := buildFixture(t, false)
	cmdline := filepath.Join(f.base, "cmdline")
	mustWrite(t, cmdline, f.cmdline()+"\n")
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	e := env{cmdline: cmdline, generator: GeneratorOptions{RunDir: f.run, Sysroot: f.sysroot, Fstab: "/nonexistent"}}
	var out, errb strings.Builder
	if code := run(append([]string{"/usr/lib/systemd/system-generators/gostree-system-generator"}, dirs...), e, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if _, err := os.Stat(filepath.Join(dirs[0], "var.mount")); err != nil {
		t.Error(err)
	}
	if code := run([]string{"gostree-system-generator"}, e, &out, &errb); code != 1 || !strings.HasPrefix(errb.String(), "usage:") {
		t.Errorf("without directories: exit %d, %q", code, errb.String())
	}
}

// listLinks lists dir like listTree, with symlink targets.
func listLinks(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(listTree(t, dir), "\n"), "\n") {
		if line == "" {
			continue
		}
		b.WriteString(line)
		if target, err := os.Readlink(filepath.Join(dir, line)); err == nil {
			b.WriteString(" -> " + target)
		}
		b.WriteString("\n")
	}
	return b.String()
}
