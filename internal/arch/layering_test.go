package arch

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/gostree/gostree/internal/"

// levels mirrors docs/design/layering.md. A package may import only
// packages on lower levels; test-only packages are exempt.
var levels = map[string]int{
	"gvariant": 0, "keyfile": 0, "datetime": 0, "fsx": 0, "errdefs": 0, "log": 0, "progress": 0, "fsverity": 0, "membudget": 0,
	"object": 1, "ref": 1, "grubenv": 1, "bootconfig": 1, "composefs": 1,
	"layout": 2, "sign": 2, "bootloader": 2, "health": 2, "prepareroot": 2,
	"repo": 3, "fetch": 3,
	"traverse": 4, "summary": 4, "remote": 4, "cfsostree": 4,
	"commit": 5, "checkout": 5, "delta": 5, "prune": 5, "diff": 5, "fsck": 5, "export": 5,
	"pull":    6,
	"sysroot": 7,
	"finder":  7,
	"server":  8,
	"cli":     9,
}

var exempt = map[string]bool{"testutil": true, "arch": true}

func TestLayering(t *testing.T) {
	root := filepath.Join("..")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		pkg := filepath.ToSlash(rel)
		if exempt[pkg] || strings.Contains(pkg, "testdata") {
			return nil
		}
		lvl, ok := levels[pkg]
		if !ok {
			t.Errorf("package %s has no level in docs/design/layering.md", pkg)
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			if !strings.HasPrefix(path, module) {
				continue
			}
			dep := strings.TrimPrefix(path, module)
			if exempt[dep] {
				t.Errorf("%s imports test-only package %s", p, dep)
				continue
			}
			dl, ok := levels[dep]
			if !ok {
				continue // reported when that package is walked
			}
			if dl >= lvl {
				t.Errorf("%s (level %d) imports %s (level %d): imports must flow downward", p, lvl, dep, dl)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
