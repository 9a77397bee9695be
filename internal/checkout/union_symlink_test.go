package checkout

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/repo"
)

// A union checkout that meets a symlink where the tree has a directory
// replaces the symlink (2022.7 does; 2025.2 does with --whiteouts and
// otherwise follows it, which can write outside the destination). A
// regular file in the way is replaced only with --whiteouts.
func TestUnionReplacesNonDirectories(t *testing.T) {
	r := newRepo(t, repo.ModeBareUser)
	c := commitTree(t, r, map[string]entry{"sub/f": {data: "in tree"}})
	for _, tc := range []struct {
		name      string
		plant     func(dest, outside string) error
		whiteouts bool
		wantErr   string
	}{
		{"symlink to outside", func(dest, outside string) error { return os.Symlink(outside, filepath.Join(dest, "sub")) }, false, ""},
		{"dangling symlink", func(dest, _ string) error { return os.Symlink("nosuchfile", filepath.Join(dest, "sub")) }, false, ""},
		{"symlink with whiteouts", func(dest, outside string) error { return os.Symlink(outside, filepath.Join(dest, "sub")) }, true, ""},
		{"file with whiteouts", func(dest, _ string) error { return os.WriteFile(filepath.Join(dest, "sub"), []byte("x"), 0o644) }, true, ""},
		{"file", func(dest, _ string) error { return os.WriteFile(filepath.Join(dest, "sub"), []byte("x"), 0o644) }, false, "non-directory in the way"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			outside := filepath.Join(base, "outside")
			dest := filepath.Join(base, "co")
			for _, d := range []string{outside, dest} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := tc.plant(dest, outside); err != nil {
				t.Fatal(err)
			}
			err := Checkout(context.Background(), r, c, dest, Options{UserMode: true, Overwrite: OverwriteUnionFiles, Whiteouts: tc.whiteouts})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Lstat(filepath.Join(dest, "sub")); err != nil || !fi.IsDir() {
				t.Fatalf("sub is not a directory: %v %v", fi, err)
			}
			if b, err := os.ReadFile(filepath.Join(dest, "sub/f")); err != nil || string(b) != "in tree" {
				t.Errorf("sub/f = %q, %v", b, err)
			}
			if ents, _ := os.ReadDir(outside); len(ents) != 0 {
				t.Errorf("checkout wrote outside the destination: %v", ents)
			}
		})
	}
}
