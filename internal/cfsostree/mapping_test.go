package cfsostree_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/cfsostree"
	"github.com/gostree/gostree/internal/composefs"
	"github.com/gostree/gostree/internal/fsverity"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

// mappingTree has what the mapping must handle: hard links and content
// shared across directories, symlinks, empty files, xattrs on files and
// directories, odd owners and modes, sizes around composefs's inline
// limits (which ostree images never use), and an existing /usr and
// /etc that the root directories must not replace.
func mappingTree(t *testing.T) string {
	sizes := []int{1, 63, 64, 65, 4095, 4096, 4097, 5000, 5001, 70000}
	es := []entry{
		{path: "usr", dir: true, perm: 0o700},
		{path: "usr/bin", dir: true},
		{path: "usr/bin/tool", content: "#!/bin/sh\n", perm: 0o4755},
		{path: "usr/shared-a", content: "shared\n"},
		{path: "etc", target: "usr/etc"},
		{path: "empty", content: ""},
		{path: "link", target: "usr/bin/tool"},
		{path: "sizes", dir: true},
		{path: "x", dir: true},
		{path: "x/shared-b", content: "shared\n"},
	}
	for _, n := range sizes {
		es = append(es, entry{path: "sizes/s" + strconv.Itoa(n), content: strings.Repeat("z", n)})
	}
	dir := makeTree(t, es)
	if err := os.Link(filepath.Join(dir, "x/shared-b"), filepath.Join(dir, "x/hardlink")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"usr/bin/tool", "x"} {
		if err := unix.Lsetxattr(filepath.Join(dir, p), "user.test", []byte("v\x00al"), 0); err != nil {
			testutil.Skip(t, "user xattrs: "+err.Error())
		}
	}
	if err := os.Lchown(filepath.Join(dir, "usr/bin/tool"), 123, 456); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestMapping builds the image of a bare commit (owners and xattrs kept)
// and checks every node of the read-back image against the source tree
// on disk, which the mapping never sees.
func TestMapping(t *testing.T) {
	testutil.RequiresRoot(t)
	ctx := context.Background()
	dir := mappingTree(t)
	r := newRepo(t, repo.ModeBare)
	c := commitTree(t, r, "main", dir, commitOpts{})
	img := filepath.Join(t.TempDir(), "img.cfs")
	if _, err := cfsostree.CheckoutImage(ctx, r, c, img, cfsostree.VerityRequired); err != nil {
		t.Fatal(err)
	}
	root := readImage(t, img).Root
	seen := map[string]bool{}
	err := composefs.Walk(root, func(p string, n *composefs.Node) error {
		seen[p] = true
		if n.LinkTo != nil || n.MtimeSec != 0 || n.MtimeNsec != 0 || n.Content != nil {
			t.Errorf("%s: hard link, mtime or inline content: %+v", p, n)
		}
		if p == "/" {
			return nil
		}
		src := filepath.Join(dir, p)
		var st unix.Stat_t
		if err := unix.Lstat(src, &st); err != nil {
			// Only the root directories may be added.
			if !(n.IsDir() && strings.Count(p, "/") == 1 && n.Mode == composefs.TypeDir|0o755 && len(n.Children) == 0) {
				t.Errorf("%s: not in the source tree: %+v", p, n)
			}
			return nil
		}
		if n.Mode != st.Mode || n.UID != st.Uid || n.GID != st.Gid {
			t.Errorf("%s: mode/uid/gid %o %d %d, source %o %d %d", p, n.Mode, n.UID, n.GID, st.Mode, st.Uid, st.Gid)
		}
		wantX, _ := unix.Lgetxattr(src, "user.test", make([]byte, 64))
		gotX, ok := n.Xattr("user.test")
		if (wantX > 0) != ok || (ok && string(gotX) != "v\x00al") {
			t.Errorf("%s: xattr user.test = %q %v", p, gotX, ok)
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFLNK:
			target, _ := os.Readlink(src)
			if n.Payload != target || n.Size != uint64(len(target)) {
				t.Errorf("%s: symlink payload %q size %d, want %q", p, n.Payload, n.Size, target)
			}
		case unix.S_IFREG:
			checkFileNode(t, r, p, src, st.Size, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/usr", "/etc", "/boot", "/var", "/sysroot", "/x/hardlink", "/x/shared-b", "/usr/shared-a", "/empty", "/sizes/s70000"} {
		if !seen[p] {
			t.Errorf("%s missing from the image", p)
		}
	}
	if n := root.Lookup("etc"); n == nil || n.Type() != composefs.TypeSymlink {
		t.Errorf("/etc from the commit was replaced: %+v", n)
	}
}

// checkFileNode: a non-empty file points at its object, which exists in
// a bare layout, and carries the fs-verity digest of its content.
func checkFileNode(t *testing.T, r *repo.Repo, p, src string, size int64, n *composefs.Node) {
	t.Helper()
	if n.Size != uint64(size) || n.Nlink != 1 {
		t.Errorf("%s: size %d nlink %d, want %d 1", p, n.Size, n.Nlink, size)
	}
	if size == 0 {
		if n.HasPayload || n.Digest != nil {
			t.Errorf("%s: empty file with payload %q or digest", p, n.Payload)
		}
		return
	}
	if _, err := os.Stat(filepath.Join(r.Path(), "objects", n.Payload)); err != nil || !strings.HasSuffix(n.Payload, ".file") {
		t.Errorf("%s: payload %q is not an object: %v", p, n.Payload, err)
	}
	data, _ := os.ReadFile(src)
	want, _ := fsverity.Sum(bytes.NewReader(data))
	if n.Digest == nil || *n.Digest != want {
		t.Errorf("%s: digest %v, want %x", p, n.Digest, want)
	}
}

// TestSharedObjects: the two names of a hard link and a copy elsewhere
// are one object, three payloads the same, three separate inodes.
func TestSharedObjects(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t, repo.ModeBareUser)
	dir := makeTree(t, []entry{{path: "a", content: "same\n"}, {path: "d", dir: true}, {path: "d/b", content: "same\n"}})
	if err := os.Link(filepath.Join(dir, "a"), filepath.Join(dir, "d/c")); err != nil {
		t.Fatal(err)
	}
	c := commitTree(t, r, "main", dir, commitOpts{canonical: true})
	cm, _ := r.LoadCommit(ctx, c)
	root, err := cfsostree.Tree(ctx, r, cm.RootTree, cm.RootMeta, cfsostree.VerityNone)
	if err != nil {
		t.Fatal(err)
	}
	a, b, cc := root.Lookup("a"), root.Lookup("d").Lookup("b"), root.Lookup("d").Lookup("c")
	if a == nil || b == nil || cc == nil || a == b || b == cc || a.Payload != b.Payload || b.Payload != cc.Payload || a.Digest != nil {
		t.Fatalf("shared object nodes: %+v %+v %+v", a, b, cc)
	}
	var buf bytes.Buffer
	if _, err := cfsostree.WriteImage(&buf, root); err != nil {
		t.Fatal(err)
	}
	im, err := composefs.ReadImage(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	composefs.Walk(im.Root, func(p string, n *composefs.Node) error {
		if n.Type() == composefs.TypeRegular {
			files++
			if n.LinkTo != nil {
				t.Errorf("%s is a hard link", p)
			}
		}
		return nil
	})
	if files != 3 {
		t.Errorf("%d regular files in the image, want 3", files)
	}
}

// TestEmptyCommit: an empty tree still gets the root directories.
func TestEmptyCommit(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t, repo.ModeBareUser)
	c := commitTree(t, r, "main", makeTree(t, nil), commitOpts{canonical: true})
	cm, _ := r.LoadCommit(ctx, c)
	root, err := cfsostree.Tree(ctx, r, cm.RootTree, cm.RootMeta, cfsostree.VerityRequired)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ch := range root.Children {
		names = append(names, ch.Name)
	}
	if strings.Join(names, " ") != "boot etc sysroot usr var" {
		t.Errorf("root children %v", names)
	}
}
