package pull_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/pull"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/traverse"
)

// hostileCommit writes, with correct checksums, a commit whose root
// dirtree is tree, and points ref "main" at it.
func hostileCommit(t *testing.T, r *repo.Repo, build func(txn *repo.Txn, file, link object.Checksum) object.DirTree) object.Checksum {
	t.Helper()
	ctx := context.Background()
	txn, err := r.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	file, err := txn.WriteFile(ctx, &object.FileHeader{Mode: object.ModeReg | 0o644}, 4, strings.NewReader("evil"), nil)
	if err != nil {
		t.Fatal(err)
	}
	link, err := txn.WriteFile(ctx, &object.FileHeader{Mode: object.ModeLink | 0o777, Target: "/tmp"}, 0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	writeMeta := func(typ object.Type, b []byte) object.Checksum {
		c, err := txn.WriteMetadata(ctx, typ, b)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	meta := writeMeta(object.TypeDirMeta, object.MarshalDirMeta(object.DirMeta{Mode: object.ModeDir | 0o755}))
	root := writeMeta(object.TypeDirTree, object.MarshalDirTree(build(txn, file, link)))
	b, err := object.MarshalCommit(&object.Commit{Subject: "hostile", Timestamp: 1700000000, RootTree: root, RootMeta: meta})
	if err != nil {
		t.Fatal(err)
	}
	c := writeMeta(object.TypeCommit, b)
	if err := txn.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteRef(ctx, "", "main", &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// deviceObject stores, under its true checksum, an archive content
// object whose header gives a character-device mode.
func deviceObject(t *testing.T, r *repo.Repo) object.Checksum {
	t.Helper()
	h := &object.FileHeader{Mode: 0o20644}
	c, _, err := object.FileChecksum(h, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := object.WriteArchive(&b, h, 0, strings.NewReader(""), 1); err != nil {
		t.Fatal(err)
	}
	p := r.ObjectPath(c, object.TypeFile)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPullRefusesHostileObjects serves commits whose objects hash
// correctly but could not be checked out safely: the pull fails naming
// the problem, and the ref does not move.
func TestPullRefusesHostileObjects(t *testing.T) {
	sub := func(txn *repo.Txn, file object.Checksum) (object.Checksum, object.Checksum) {
		ctx := context.Background()
		tree, err := txn.WriteMetadata(ctx, object.TypeDirTree, object.MarshalDirTree(object.DirTree{Files: []object.TreeFile{{Name: "f", Checksum: file}}}))
		if err != nil {
			t.Fatal(err)
		}
		meta, err := txn.WriteMetadata(ctx, object.TypeDirMeta, object.MarshalDirMeta(object.DirMeta{Mode: object.ModeDir | 0o755}))
		if err != nil {
			t.Fatal(err)
		}
		return tree, meta
	}
	for _, tc := range []struct {
		name  string
		build func(t *testing.T, r *repo.Repo) func(txn *repo.Txn, file, link object.Checksum) object.DirTree
		want  string
	}{
		{"slash in name", func(*testing.T, *repo.Repo) func(*repo.Txn, object.Checksum, object.Checksum) object.DirTree {
			return func(_ *repo.Txn, file, _ object.Checksum) object.DirTree {
				return object.DirTree{Files: []object.TreeFile{{Name: "../escape", Checksum: file}}}
			}
		}, "Invalid / in filename ../escape"},
		{"dot", func(*testing.T, *repo.Repo) func(*repo.Txn, object.Checksum, object.Checksum) object.DirTree {
			return func(txn *repo.Txn, file, _ object.Checksum) object.DirTree {
				tr, m := sub(txn, file)
				return object.DirTree{Dirs: []object.TreeDir{{Name: ".", Tree: tr, Meta: m}}}
			}
		}, "Invalid self-referential filename '.'"},
		{"dotdot", func(*testing.T, *repo.Repo) func(*repo.Txn, object.Checksum, object.Checksum) object.DirTree {
			return func(_ *repo.Txn, file, _ object.Checksum) object.DirTree {
				return object.DirTree{Files: []object.TreeFile{{Name: "..", Checksum: file}}}
			}
		}, "Invalid path uplink filename '..'"},
		{"empty name", func(*testing.T, *repo.Repo) func(*repo.Txn, object.Checksum, object.Checksum) object.DirTree {
			return func(_ *repo.Txn, file, _ object.Checksum) object.DirTree {
				return object.DirTree{Files: []object.TreeFile{{Name: "", Checksum: file}}}
			}
		}, "Invalid empty filename"},
		{"symlink and dir of one name", func(*testing.T, *repo.Repo) func(*repo.Txn, object.Checksum, object.Checksum) object.DirTree {
			return func(txn *repo.Txn, file, link object.Checksum) object.DirTree {
				tr, m := sub(txn, file)
				return object.DirTree{Files: []object.TreeFile{{Name: "x", Checksum: link}}, Dirs: []object.TreeDir{{Name: "x", Tree: tr, Meta: m}}}
			}
		}, `"x" is both a file and a directory`},
		{"device mode", func(t *testing.T, r *repo.Repo) func(*repo.Txn, object.Checksum, object.Checksum) object.DirTree {
			dev := deviceObject(t, r)
			return func(*repo.Txn, object.Checksum, object.Checksum) object.DirTree {
				return object.DirTree{Files: []object.TreeFile{{Name: "dev", Checksum: dev}}}
			}
		}, "invalid mode 8612"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := traverse.TestRepo(t, repo.ModeArchive)
			hostileCommit(t, src, tc.build(t, src))
			url, _ := serveRepo(t, src, nil)
			for _, mode := range []repo.Mode{repo.ModeBareUser, repo.ModeArchive} {
				dst := addRemote(t, traverse.TestRepo(t, mode), "origin", url)
				_, err := pull.PullRemote(context.Background(), dst, "origin", fastOpts(pull.Options{Refs: []string{"main"}}))
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("%s: pull error %v, want one containing %q", mode, err, tc.want)
				}
				if _, ok, _ := dst.ResolveRevExt(context.Background(), "origin:main", true, false); ok {
					t.Errorf("%s: ref moved to a hostile commit", mode)
				}
			}
		})
	}
}
