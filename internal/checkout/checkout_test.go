package checkout

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

var xattrA = object.Xattrs{{Name: "user.a", Value: []byte("1")}}

// sampleTree exercises ownership, modes, xattrs, symlinks, empty and
// setuid files.
var sampleTree = map[string]entry{
	"file":    {data: "hello\n"},
	"exe":     {mode: 0o755, data: "#!/bin/sh\n"},
	"empty":   {},
	"link":    {target: "file"},
	"suid":    {mode: 0o4755, data: "s"},
	"xa":      {data: "x", xattrs: xattrA},
	"d":       {dir: true, mode: 0o700, uid: 42, gid: 43, xattrs: xattrA},
	"d/sub/f": {data: "deep", uid: 42, gid: 43},
}

func mustCheckout(t *testing.T, r *repo.Repo, c object.Checksum, dest string, opts Options) {
	t.Helper()
	if err := Checkout(context.Background(), r, c, dest, opts); err != nil {
		t.Fatalf("checkout: %v", err)
	}
}

func TestCheckoutModes(t *testing.T) {
	testutil.RequiresRoot(t) // ownership and xattrs of root-mode checkouts
	const (
		reg = syscall.S_IFREG
		dir = syscall.S_IFDIR
		lnk = syscall.S_IFLNK
	)
	for _, tc := range []struct {
		name string
		mode repo.Mode
		opts Options
		want map[string]state
	}{
		{"bare root hardlinks", repo.ModeBare, Options{}, map[string]state{
			".":       {Mode: dir | 0o755, MtimeSet: true},
			"file":    {Mode: reg | 0o644, Data: "hello\n", Linked: true},
			"exe":     {Mode: reg | 0o755, Data: "#!/bin/sh\n", Linked: true},
			"empty":   {Mode: reg | 0o644},
			"link":    {Mode: lnk | 0o777, Target: "file"},
			"suid":    {Mode: reg | 0o4755, Data: "s", Linked: true},
			"xa":      {Mode: reg | 0o644, Data: "x", Xattrs: "user.a=1", Linked: true},
			"d":       {Mode: dir | 0o700, UID: 42, GID: 43, Xattrs: "user.a=1", MtimeSet: true},
			"d/sub":   {Mode: dir | 0o755, MtimeSet: true},
			"d/sub/f": {Mode: reg | 0o644, UID: 42, GID: 43, Data: "deep", Linked: true},
		}},
		{"bare user mode copies", repo.ModeBare, Options{UserMode: true}, map[string]state{
			".":       {Mode: dir | 0o755, MtimeSet: true},
			"file":    {Mode: reg | 0o644, Data: "hello\n"},
			"exe":     {Mode: reg | 0o755, Data: "#!/bin/sh\n"},
			"empty":   {Mode: reg | 0o644},
			"link":    {Mode: lnk | 0o777, Target: "file"},
			"suid":    {Mode: reg | 0o755, Data: "s"},
			"xa":      {Mode: reg | 0o644, Data: "x"},
			"d":       {Mode: dir | 0o700, MtimeSet: true},
			"d/sub":   {Mode: dir | 0o755, MtimeSet: true},
			"d/sub/f": {Mode: reg | 0o644, Data: "deep"},
		}},
		{"bare force copy", repo.ModeBare, Options{ForceCopy: true}, map[string]state{
			".":       {Mode: dir | 0o755},
			"file":    {Mode: reg | 0o644, Data: "hello\n"},
			"exe":     {Mode: reg | 0o755, Data: "#!/bin/sh\n"},
			"empty":   {Mode: reg | 0o644},
			"link":    {Mode: lnk | 0o777, Target: "file"},
			"suid":    {Mode: reg | 0o4755, Data: "s"},
			"xa":      {Mode: reg | 0o644, Data: "x", Xattrs: "user.a=1"},
			"d":       {Mode: dir | 0o700, UID: 42, GID: 43, Xattrs: "user.a=1"},
			"d/sub":   {Mode: dir | 0o755},
			"d/sub/f": {Mode: reg | 0o644, UID: 42, GID: 43, Data: "deep"},
		}},
		{"bare-user user mode hardlinks", repo.ModeBareUser, Options{UserMode: true, RequireHardlinks: true}, map[string]state{
			".":       {Mode: dir | 0o755, MtimeSet: true},
			"file":    {Mode: reg | 0o644, Data: "hello\n", Linked: true},
			"exe":     {Mode: reg | 0o755, Data: "#!/bin/sh\n", Linked: true},
			"empty":   {Mode: reg | 0o644},
			"link":    {Mode: lnk | 0o777, Target: "file"},
			"suid":    {Mode: reg | 0o755, Data: "s", Linked: true},
			"xa":      {Mode: reg | 0o644, Data: "x", Linked: true},
			"d":       {Mode: dir | 0o700, MtimeSet: true},
			"d/sub":   {Mode: dir | 0o755, MtimeSet: true},
			"d/sub/f": {Mode: reg | 0o644, Data: "deep", Linked: true},
		}},
		{"bare-user root mode copies", repo.ModeBareUser, Options{}, map[string]state{
			".":       {Mode: dir | 0o755, MtimeSet: true},
			"file":    {Mode: reg | 0o644, Data: "hello\n"},
			"exe":     {Mode: reg | 0o755, Data: "#!/bin/sh\n"},
			"empty":   {Mode: reg | 0o644},
			"link":    {Mode: lnk | 0o777, Target: "file"},
			"suid":    {Mode: reg | 0o4755, Data: "s"},
			"xa":      {Mode: reg | 0o644, Data: "x", Xattrs: "user.a=1"},
			"d":       {Mode: dir | 0o700, UID: 42, GID: 43, Xattrs: "user.a=1", MtimeSet: true},
			"d/sub":   {Mode: dir | 0o755, MtimeSet: true},
			"d/sub/f": {Mode: reg | 0o644, UID: 42, GID: 43, Data: "deep"},
		}},
		{"archive copies", repo.ModeArchive, Options{}, map[string]state{
			".":       {Mode: dir | 0o755, MtimeSet: true},
			"file":    {Mode: reg | 0o644, Data: "hello\n"},
			"exe":     {Mode: reg | 0o755, Data: "#!/bin/sh\n"},
			"empty":   {Mode: reg | 0o644},
			"link":    {Mode: lnk | 0o777, Target: "file"},
			"suid":    {Mode: reg | 0o4755, Data: "s"},
			"xa":      {Mode: reg | 0o644, Data: "x", Xattrs: "user.a=1"},
			"d":       {Mode: dir | 0o700, UID: 42, GID: 43, Xattrs: "user.a=1", MtimeSet: true},
			"d/sub":   {Mode: dir | 0o755, MtimeSet: true},
			"d/sub/f": {Mode: reg | 0o644, UID: 42, GID: 43, Data: "deep"},
		}},
		{"archive user mode fills the cache", repo.ModeArchive, Options{UserMode: true, UncompressedCache: true}, map[string]state{
			".":       {Mode: dir | 0o755, MtimeSet: true},
			"file":    {Mode: reg | 0o644, Data: "hello\n", Linked: true},
			"exe":     {Mode: reg | 0o755, Data: "#!/bin/sh\n", Linked: true},
			"empty":   {Mode: reg | 0o644},
			"link":    {Mode: lnk | 0o777, Target: "file"},
			"suid":    {Mode: reg | 0o755, Data: "s", Linked: true},
			"xa":      {Mode: reg | 0o644, Data: "x", Linked: true},
			"d":       {Mode: dir | 0o700, MtimeSet: true},
			"d/sub":   {Mode: dir | 0o755, MtimeSet: true},
			"d/sub/f": {Mode: reg | 0o644, Data: "deep", Linked: true},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRepo(t, tc.mode)
			c := commitTree(t, r, sampleTree)
			dest := filepath.Join(t.TempDir(), "co")
			mustCheckout(t, r, c, dest, tc.opts)
			if diff := cmp.Diff(tc.want, listTree(t, dest)); diff != "" {
				t.Errorf("checkout (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckoutErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mode    repo.Mode
		opts    Options
		prepare func(t *testing.T, dest string)
		wantErr string
	}{
		{"bare with -U -H", repo.ModeBare, Options{UserMode: true, RequireHardlinks: true}, nil,
			"Bare repository mode cannot hardlink in user checkout mode"},
		{"bare-user without -U but -H", repo.ModeBareUser, Options{RequireHardlinks: true}, nil,
			"User repository mode requires user checkout mode to hardlink"},
		{"union-identical without -H", repo.ModeBare, Options{Overwrite: OverwriteUnionIdentical}, nil,
			"--union-identical requires --require-hardlinks"},
		{"-H with -C", repo.ModeBare, Options{RequireHardlinks: true, ForceCopy: true}, nil,
			"Cannot specify both --require-hardlinks and --force-copy"},
		{"destination exists", repo.ModeBare, Options{}, func(t *testing.T, dest string) { os.Mkdir(dest, 0o755) },
			"mkdirat: File exists"},
		{"missing subpath", repo.ModeBare, Options{Subpath: "/nope"}, nil,
			"No such file or directory: /nope"},
		{"subpath below a file", repo.ModeBare, Options{Subpath: "/file/x"}, nil,
			"Not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRepo(t, tc.mode)
			c := commitTree(t, r, map[string]entry{"file": {data: "x"}})
			dest := filepath.Join(t.TempDir(), "co")
			if tc.prepare != nil {
				tc.prepare(t, dest)
			}
			err := Checkout(context.Background(), r, c, dest, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestCheckoutSubpath(t *testing.T) {
	r := newRepo(t, repo.ModeBareUser)
	c := commitTree(t, r, map[string]entry{"a/b/c": {data: "c"}, "a/f": {data: "f"}})
	base := t.TempDir()

	mustCheckout(t, r, c, filepath.Join(base, "dir"), Options{UserMode: true, Subpath: "/a/b"})
	if got := listTree(t, filepath.Join(base, "dir")); len(got) != 2 || got["c"].Data != "c" {
		t.Errorf("subpath dir: %v", got)
	}
	// A file subpath lands inside the destination directory.
	mustCheckout(t, r, c, filepath.Join(base, "file"), Options{UserMode: true, Subpath: "a/f"})
	if b, err := os.ReadFile(filepath.Join(base, "file", "f")); err != nil || string(b) != "f" {
		t.Errorf("subpath file: %q, %v", b, err)
	}
	// --allow-noent makes a missing subpath a no-op.
	if err := Checkout(context.Background(), r, c, filepath.Join(base, "none"), Options{Subpath: "/nope", AllowNoent: true}); err != nil {
		t.Errorf("allow-noent: %v", err)
	}
	if _, err := os.Stat(filepath.Join(base, "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("allow-noent created the destination: %v", err)
	}
}

func TestCheckoutSkipList(t *testing.T) {
	r := newRepo(t, repo.ModeBareUser)
	c := commitTree(t, r, map[string]entry{"a/b/c": {data: "c"}, "a/f": {data: "f"}, "g": {data: "g"}})
	dest := filepath.Join(t.TempDir(), "co")
	// Directories are matched with a trailing slash, as libostree does.
	skip := map[string]bool{"/a/b/": true, "/g": true}
	var seen []string
	mustCheckout(t, r, c, dest, Options{UserMode: true, Workers: 1, Skip: func(p string) bool {
		seen = append(seen, p)
		return skip[p]
	}})
	got := listTree(t, dest)
	for _, p := range []string{"a/b", "g"} {
		if _, ok := got[p]; ok {
			t.Errorf("%s was not skipped", p)
		}
	}
	if got["a/f"].Data != "f" {
		t.Errorf("a/f missing: %v", got)
	}
	want := map[string]bool{"/": true, "/a/": true, "/a/b/": true, "/a/f": true, "/g": true}
	for _, p := range seen {
		if !want[p] {
			t.Errorf("skip list asked about %q", p)
		}
	}
}

func TestCheckoutUnion(t *testing.T) {
	r := newRepo(t, repo.ModeBareUser)
	c1 := commitTree(t, r, map[string]entry{"f": {data: "one"}, "same": {data: "s"}, "d/x": {data: "x"}, "l": {target: "one"}})
	c2 := commitTree(t, r, map[string]entry{"f": {data: "two"}, "same": {data: "s"}, "d/y": {data: "y"}, "l": {target: "two"}})
	for _, tc := range []struct {
		name    string
		opts    Options
		want    map[string]string // path: content or "->target"
		wantErr string
	}{
		{"union replaces files", Options{Overwrite: OverwriteUnionFiles},
			map[string]string{"f": "two", "same": "s", "d/x": "x", "d/y": "y", "l": "->two"}, ""},
		{"union-add keeps files", Options{Overwrite: OverwriteAddFiles},
			map[string]string{"f": "one", "same": "s", "d/x": "x", "d/y": "y", "l": "->one"}, ""},
		{"union-identical conflicts", Options{Overwrite: OverwriteUnionIdentical, RequireHardlinks: true},
			nil, "File exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "co")
			mustCheckout(t, r, c1, dest, Options{UserMode: true})
			tc.opts.UserMode = true
			err := Checkout(context.Background(), r, c2, dest, tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for p, s := range listTree(t, dest) {
				switch {
				case s.Target != "":
					got[p] = "->" + s.Target
				case s.Mode&syscall.S_IFMT == syscall.S_IFREG:
					got[p] = s.Data
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	// Identical content merges under --union-identical.
	dest := filepath.Join(t.TempDir(), "co")
	mustCheckout(t, r, c1, dest, Options{UserMode: true})
	c3 := commitTree(t, r, map[string]entry{"same": {data: "s"}, "l": {target: "one"}, "new": {data: "n"}})
	if err := Checkout(context.Background(), r, c3, dest, Options{UserMode: true, Overwrite: OverwriteUnionIdentical, RequireHardlinks: true}); err != nil {
		t.Errorf("union-identical of identical files: %v", err)
	}
}

func TestCheckoutWhiteouts(t *testing.T) {
	r := newRepo(t, repo.ModeBareUser)
	base := commitTree(t, r, map[string]entry{"a/x": {data: "x"}, "a/y": {data: "y"}, "b/z": {data: "z"}, "c": {data: "c"}})
	over := commitTree(t, r, map[string]entry{"a/.wh.x": {}, ".wh.c": {}, "b/.wh..wh..opq": {}, "b/new": {data: "n"}})
	dest := filepath.Join(t.TempDir(), "co")
	mustCheckout(t, r, base, dest, Options{UserMode: true})
	mustCheckout(t, r, over, dest, Options{UserMode: true, Overwrite: OverwriteUnionFiles, Whiteouts: true})
	var got []string
	for p, s := range listTree(t, dest) {
		if s.Mode&syscall.S_IFMT == syscall.S_IFREG {
			got = append(got, p)
		}
	}
	want := map[string]bool{"a/y": true, "b/new": true}
	if len(got) != len(want) {
		t.Errorf("files %v, want %v", got, want)
	}
	for _, p := range got {
		if !want[p] {
			t.Errorf("unexpected %s", p)
		}
	}
}

// TestCheckoutRejectsEscapes crafts dirtrees that name "..", "a/b", a
// whiteout of "..", and the like: each must fail, naming the path, with
// nothing written outside dest.
func TestCheckoutRejectsEscapes(t *testing.T) {
	var fileSum object.Checksum
	for _, tc := range []struct {
		name    string
		build   func(t *testing.T, txn *repo.Txn) (tree, meta object.Checksum)
		opts    Options
		plant   func(t *testing.T, dest, outside string)
		wantErr string
	}{
		{"dotdot file", func(t *testing.T, txn *repo.Txn) (object.Checksum, object.Checksum) {
			return writeRawTree(t, txn, object.DirTree{Files: []object.TreeFile{{Name: "..", Checksum: fileSum}}}, entry{})
		}, Options{}, nil, "Invalid path uplink filename '..'"},
		{"slash in dir name", func(t *testing.T, txn *repo.Txn) (object.Checksum, object.Checksum) {
			sub, meta := writeRawTree(t, txn, object.DirTree{Files: []object.TreeFile{{Name: "f", Checksum: fileSum}}}, entry{})
			return writeRawTree(t, txn, object.DirTree{Dirs: []object.TreeDir{{Name: "../outside", Tree: sub, Meta: meta}}}, entry{})
		}, Options{}, nil, "Invalid / in filename ../outside"},
		{"whiteout of parent", func(t *testing.T, txn *repo.Txn) (object.Checksum, object.Checksum) {
			return writeRawTree(t, txn, object.DirTree{Files: []object.TreeFile{{Name: ".wh...", Checksum: fileSum}}}, entry{})
		}, Options{Whiteouts: true, Overwrite: OverwriteUnionFiles}, nil, "Invalid path uplink filename '..'"},
		{"whiteout of self", func(t *testing.T, txn *repo.Txn) (object.Checksum, object.Checksum) {
			return writeRawTree(t, txn, object.DirTree{Files: []object.TreeFile{{Name: ".wh..", Checksum: fileSum}}}, entry{})
		}, Options{Whiteouts: true, Overwrite: OverwriteUnionFiles}, nil, "Invalid self-referential filename '.'"},
		{"empty name", func(t *testing.T, txn *repo.Txn) (object.Checksum, object.Checksum) {
			return writeRawTree(t, txn, object.DirTree{Files: []object.TreeFile{{Name: "", Checksum: fileSum}}}, entry{})
		}, Options{}, nil, "Invalid empty filename"},
		{"dot dir", func(t *testing.T, txn *repo.Txn) (object.Checksum, object.Checksum) {
			sub, meta := writeRawTree(t, txn, object.DirTree{Files: []object.TreeFile{{Name: "f", Checksum: fileSum}}}, entry{})
			return writeRawTree(t, txn, object.DirTree{Dirs: []object.TreeDir{{Name: ".", Tree: sub, Meta: meta}}}, entry{})
		}, Options{}, nil, "Invalid self-referential filename '.'"},
		// A symlink "x" to outside, then a directory "x" whose files
		// would land through it.
		{"symlink and dir of one name", func(t *testing.T, txn *repo.Txn) (object.Checksum, object.Checksum) {
			link, err := txn.WriteFile(context.Background(), &object.FileHeader{Mode: object.ModeLink | 0o777, Target: "../../outside"}, 0, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			sub, meta := writeRawTree(t, txn, object.DirTree{Files: []object.TreeFile{{Name: "f", Checksum: fileSum}}}, entry{})
			return writeRawTree(t, txn, object.DirTree{
				Files: []object.TreeFile{{Name: "x", Checksum: link}},
				Dirs:  []object.TreeDir{{Name: "x", Tree: sub, Meta: meta}},
			}, entry{})
		}, Options{}, nil, `"x" is both a file and a directory`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRepo(t, repo.ModeBareUser)
			ctx := context.Background()
			txn, err := r.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			fileSum, err = txn.WriteFile(ctx, &object.FileHeader{Mode: object.ModeReg | 0o644}, 4, strings.NewReader("evil"), nil)
			if err != nil {
				t.Fatal(err)
			}
			tree, meta := tc.build(t, txn)
			c := writeCommit(t, txn, tree, meta)
			if err := txn.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			base := t.TempDir()
			outside := filepath.Join(base, "outside")
			os.Mkdir(outside, 0o755)
			os.WriteFile(filepath.Join(base, "keep"), []byte("k"), 0o644)
			dest := filepath.Join(base, "in", "co")
			os.Mkdir(filepath.Join(base, "in"), 0o755)
			if tc.plant != nil {
				tc.plant(t, dest, outside)
			}
			before := listTree(t, base)
			opts := tc.opts
			opts.UserMode = true
			err = Checkout(ctx, r, c, dest, opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			after := listTree(t, base)
			for p, s := range after {
				if strings.HasPrefix(p, filepath.Join("in", "co")) {
					continue
				}
				if _, ok := before[p]; !ok {
					t.Errorf("checkout wrote %s outside the destination", p)
				}
				if s.Data == "evil" {
					t.Errorf("checkout wrote into %s", p)
				}
			}
			for p := range before {
				if _, ok := after[p]; !ok {
					t.Errorf("checkout removed %s", p)
				}
			}
		})
	}
}

func TestCheckoutMissingObject(t *testing.T) {
	r := newRepo(t, repo.ModeBare)
	c := commitTree(t, r, map[string]entry{"f": {data: "x"}, "d/g": {data: "y"}})
	root, err := r.CommitRoot(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	f, err := r.ResolvePath(context.Background(), root, "/f")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(r.ObjectPath(f.Content, object.TypeFile)); err != nil {
		t.Fatal(err)
	}
	err = Checkout(context.Background(), r, c, filepath.Join(t.TempDir(), "co"), Options{UserMode: true})
	if !errors.Is(err, errdefs.ErrNotFound) || !strings.Contains(err.Error(), f.Content.String()) {
		t.Fatalf("error %v, want not-found naming %s", err, f.Content)
	}
}

func TestPool(t *testing.T) {
	// Tasks that spawn tasks all run; the first error wins and stops
	// the rest.
	p := newPool(context.Background())
	var count int64
	var spawn func(depth int) func() error
	spawn = func(depth int) func() error {
		return func() error {
			p.mu.Lock()
			count++
			p.mu.Unlock()
			if depth < 6 {
				p.submit(spawn(depth + 1))
				p.submit(spawn(depth + 1))
			}
			return nil
		}
	}
	p.submit(spawn(0))
	if err := p.run(3); err != nil || count != 127 {
		t.Fatalf("run: %v, %d tasks, want 127", err, count)
	}

	boom := errors.New("boom")
	p = newPool(context.Background())
	for i := range 100 {
		p.submit(func() error {
			if i == 50 {
				return boom
			}
			return nil
		})
	}
	if err := p.run(2); !errors.Is(err, boom) {
		t.Fatalf("run: %v, want boom", err)
	}
}

func TestSplitEscapes(t *testing.T) {
	// rmrfAt never follows a symlink to a directory.
	base := t.TempDir()
	target := filepath.Join(base, "target")
	os.Mkdir(target, 0o755)
	os.WriteFile(filepath.Join(target, "keep"), nil, 0o644)
	d := filepath.Join(base, "d")
	os.Mkdir(d, 0o755)
	os.Symlink(target, filepath.Join(d, "l"))
	fd, err := openDirAt(-100, d, true)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := rmrfAt(fd, "l"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(target, "keep")); err != nil {
		t.Errorf("rmrf followed the symlink: %v", err)
	}
	for _, bad := range []string{"..", ".", "a/b", ""} {
		if err := rmrfAt(fd, bad); err == nil {
			t.Errorf("rmrfAt(%q) accepted", bad)
		}
	}
}
