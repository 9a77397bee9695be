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
	"cli":     9, "cli/clikit": 9, "cli/admin": 9, "cli/composefscmd": 9, "cli/remotecmd": 9,
	"cli/repocmd": 9, "cli/serve": 9, "cli/staticdelta": 9,
}

// ranks order the packages of one level: a package may import a package
// of its own level only when that one's rank is lower. On L9 the command
// machinery (clikit) is below the command families, which do not import
// each other, and cli assembles them.
var ranks = map[string]int{
	"cli/clikit": 0,
	"cli/admin":  1, "cli/composefscmd": 1, "cli/remotecmd": 1, "cli/repocmd": 1, "cli/serve": 1, "cli/staticdelta": 1,
	"cli": 2,
}

var exempt = map[string]bool{"testutil": true, "arch": true, "cli/clitest": true}

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
			if dl == lvl {
				if r, ok := ranks[pkg]; ok {
					if dr, ok := ranks[dep]; ok && dr < r {
						continue
					}
				}
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
