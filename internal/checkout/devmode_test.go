package checkout

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/fsx"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

// A content object whose stored header gives a character-device mode
// (0o20644) is refused by every checkout, as libostree refuses it;
// before, `checkout -U` of an archive repo wrote it as an empty file.
func TestCheckoutRefusesDeviceModeObject(t *testing.T) {
	for _, tc := range []struct {
		mode  repo.Mode
		plant func(t *testing.T, path string)
		want  string
	}{
		{repo.ModeArchive, func(t *testing.T, path string) {
			var b bytes.Buffer
			if err := object.WriteArchive(&b, &object.FileHeader{Mode: 0o20644}, 0, strings.NewReader(""), 1); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "Corrupted archive file; invalid mode 8612"},
		{repo.ModeBareUser, func(t *testing.T, path string) {
			meta := object.MarshalBareUserMeta(&object.FileHeader{Mode: 0o20644})
			if err := fsx.Lsetxattr(path, "user.ostreemeta", meta); err != nil {
				t.Skip(err) // no user xattrs here
			}
		}, "user.ostreemeta: invalid mode 8612"},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			r := newRepo(t, tc.mode)
			c := commitTree(t, r, map[string]entry{"f": {data: "hello\n"}})
			ctx := context.Background()
			cm, err := r.LoadCommit(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			dt, err := r.LoadDirTree(ctx, cm.RootTree)
			if err != nil {
				t.Fatal(err)
			}
			tc.plant(t, r.ObjectPath(dt.Files[0].Checksum, object.TypeFile))
			for _, opts := range []Options{{UserMode: true}, {UserMode: true, ForceCopy: true}, {}} {
				dest := filepath.Join(t.TempDir(), "co")
				err := Checkout(ctx, r, c, dest, opts)
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), dt.Files[0].Checksum.String()) {
					t.Fatalf("checkout error %v, want one naming the object and %q", err, tc.want)
				}
				if _, err := os.Lstat(filepath.Join(dest, "f")); err == nil {
					t.Errorf("the refused object was checked out")
				}
			}
		})
	}
}
