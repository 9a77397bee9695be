package admin_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gostree/gostree/internal/cli/clitest"
)

// admin init-fs --epoch, as libostree 2025.2 answers it: 0 is the
// traditional layout, 1 and up --modern, and 2 a private ostree/.
func TestAdminInitFSEpoch(t *testing.T) {
	for _, tc := range []struct {
		flag       string
		home       bool
		ostreeMode os.FileMode
	}{
		{"--epoch=0", true, 0o755},
		{"--epoch=1", false, 0o755},
		{"--epoch=2", false, 0o700},
		{"--epoch=3", false, 0o755},
		{"--modern", false, 0o755},
	} {
		dir := filepath.Join(t.TempDir(), "s")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if _, errs, code := clitest.RunOurs(t, nil, "admin", "init-fs", tc.flag, dir); code != 0 {
			t.Fatalf("%s: %s", tc.flag, errs)
		}
		if _, err := os.Stat(filepath.Join(dir, "home")); (err == nil) != tc.home {
			t.Errorf("%s: home exists %v", tc.flag, err == nil)
		}
		fi, err := os.Stat(filepath.Join(dir, "ostree"))
		if err != nil || fi.Mode().Perm() != tc.ostreeMode {
			t.Errorf("%s: ostree/ %v %v, want mode %o", tc.flag, fi.Mode(), err, tc.ostreeMode)
		}
	}
	if _, errs, code := clitest.RunOurs(t, nil, "admin", "init-fs", "--epoch=x", t.TempDir()); code == 0 || errs != "error: Cannot parse integer value “x” for --epoch\n" {
		t.Errorf("bad epoch: exit %d, %q", code, errs)
	}
}
