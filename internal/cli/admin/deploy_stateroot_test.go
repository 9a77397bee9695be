package admin_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli/clitest"
)

// admin deploy --stateroot (2025.2) wins over --os, and a missing
// stateroot is named as 2025.2 names it.
func TestAdminDeployStaterootOption(t *testing.T) {
	dir := t.TempDir()
	sysroot := filepath.Join(dir, "s")
	tree := filepath.Join(dir, "t")
	for _, d := range []string{sysroot, tree} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"admin", "init-fs", sysroot},
		{"admin", "stateroot-init", "--sysroot=" + sysroot, "testos"},
		{"commit", "--repo=" + filepath.Join(sysroot, "ostree/repo"), "-b", "a", "--tree=dir=" + tree},
	} {
		if _, errs, code := clitest.RunOurs(t, nil, args...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--stateroot=nosuch"}, "error: No such stateroot: nosuch"},
		{[]string{"--os=testos", "--stateroot=nosuch"}, "error: No such stateroot: nosuch"},
		// The tree has no kernel: reaching that check means the
		// stateroot was found.
		{[]string{"--os=nosuch", "--stateroot=testos"}, "error: Failed to find kernel"},
	} {
		args := append([]string{"admin", "deploy", "--sysroot=" + sysroot}, append(tc.flags, "a")...)
		_, errs, code := clitest.RunOurs(t, nil, args...)
		if code == 0 || !strings.HasPrefix(errs, tc.want) {
			t.Errorf("%v: exit %d, %q, want %q", tc.flags, code, errs, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(sysroot, "ostree/deploy/nosuch")); err == nil {
		t.Error("a deploy to a missing stateroot created it")
	}
}
