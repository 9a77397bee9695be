package commit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/repo"
)

// A tree that holds the repository itself (`ostree commit` run in the
// repository's parent) is committed while the commit writes objects into
// that repository's staging directory: the walk must never find a file
// vanishing there. Objects are written as anonymous files and appear only
// under their staged names, which stay until the transaction publishes.
func TestCommitTreeHoldingRepo(t *testing.T) {
	ctx := context.Background()
	for _, mode := range allModes {
		t.Run(mode.String(), func(t *testing.T) {
			src := t.TempDir()
			files := map[string]string{}
			for d := 0; d < 5; d++ {
				for f := 0; f < 100; f++ {
					files[fmt.Sprintf("d%02d/f%03d", d, f)] = fmt.Sprintf("content %d/%d\n", d, f)
				}
				files[fmt.Sprintf("d%02d/link", d)] = fmt.Sprintf("->f%03d", d)
			}
			writeFiles(t, src, files)
			r, err := repo.Init(ctx, filepath.Join(src, "repo"), repo.InitOptions{Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ {
				if _, err := Run(ctx, r, commitOpts(TreeSource{"dir", src})); err != nil {
					t.Fatalf("commit %d of a tree holding the repository: %v", i, err)
				}
			}
			if _, err := r.ResolveRev(ctx, "test", false); err != nil {
				t.Fatal(err)
			}
			ents, err := os.ReadDir(filepath.Join(src, "repo", "tmp"))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), "staging-") {
					t.Errorf("left in the repository's tmp: %s", e.Name())
				}
			}
			if n := countObjects(t, r); n < 500 {
				t.Errorf("%d objects stored, want at least the 500 files'", n)
			}
		})
	}
}
