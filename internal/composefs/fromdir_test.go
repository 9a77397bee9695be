package composefs

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/fsverity"
)

// sourceTree makes a directory with one of each kind of file; devices
// and the whiteout only as root.
func sourceTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "sub/deeper"), 0o750))
	must(os.WriteFile(filepath.Join(dir, "small"), []byte("hello\n"), 0o644))
	big := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	must(os.WriteFile(filepath.Join(dir, "sub/big"), big, 0o600))
	must(os.WriteFile(filepath.Join(dir, "empty"), nil, 0o644))
	must(os.Link(filepath.Join(dir, "sub/big"), filepath.Join(dir, "sub/deeper/big-link")))
	must(os.Symlink("../small", filepath.Join(dir, "sub/link")))
	must(unix.Mkfifo(filepath.Join(dir, "fifo"), 0o640))
	must(unix.Lsetxattr(filepath.Join(dir, "small"), "user.color", []byte("blue\x00=x"), 0))
	must(unix.Lsetxattr(filepath.Join(dir, "sub"), "user.dir", []byte("yes"), 0))
	if os.Geteuid() == 0 {
		must(unix.Mknod(filepath.Join(dir, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
		must(unix.Mknod(filepath.Join(dir, "loop9"), unix.S_IFBLK|0o660, int(unix.Mkdev(7, 9))))
		must(unix.Mknod(filepath.Join(dir, "sub/gone"), unix.S_IFCHR|0o600, 0))
		must(os.Lchown(filepath.Join(dir, "sub/big"), 1234, 5678))
		must(unix.Lsetxattr(filepath.Join(dir, "empty"), "trusted.overlay.opaque", []byte("y"), 0))
	}
	return dir
}

// TestFromDir builds an image from a directory and checks that reading
// it back gives every file's metadata.
func TestFromDir(t *testing.T) {
	dir := sourceTree(t)
	for _, hardlinks := range []bool{false, true} {
		root, err := FromDir(context.Background(), dir, DirOptions{HardLinks: hardlinks})
		if err != nil {
			t.Fatal(err)
		}
		var img bytes.Buffer
		if err := WriteImage(&img, root, Options{MaxVersion: 1}); err != nil {
			t.Fatal(err)
		}
		im, err := ReadImage(bytes.NewReader(img.Bytes()), int64(img.Len()))
		if err != nil {
			t.Fatal(err)
		}
		if os.Geteuid() == 0 && im.Version != 1 {
			t.Errorf("a tree with a whiteout wrote version %d, want 1", im.Version)
		}
		compareWithDisk(t, dir, im.Root, hardlinks)
	}
}

// compareWithDisk checks every node read from an image against lstat,
// xattrs, link targets and contents on disk.
func compareWithDisk(t *testing.T, dir string, root *Node, hardlinks bool) {
	t.Helper()
	seen := 0
	err := Walk(root, func(p string, n *Node) error {
		seen++
		disk := filepath.Join(dir, p)
		var st unix.Stat_t
		if err := unix.Lstat(disk, &st); err != nil {
			t.Errorf("%s: in the image, not on disk: %v", p, err)
			return nil
		}
		if n.LinkTo != nil {
			if !hardlinks {
				t.Errorf("%s: hard link without HardLinks", p)
			}
			n = n.LinkTo
		}
		if n.Mode != st.Mode || n.UID != st.Uid || n.GID != st.Gid {
			t.Errorf("%s: mode/uid/gid %o/%d/%d, disk %o/%d/%d", p, n.Mode, n.UID, n.GID, st.Mode, st.Uid, st.Gid)
		}
		if n.MtimeSec != st.Mtim.Sec || int64(n.MtimeNsec) != st.Mtim.Nsec {
			t.Errorf("%s: mtime %d.%d, disk %d.%d", p, n.MtimeSec, n.MtimeNsec, st.Mtim.Sec, st.Mtim.Nsec)
		}
		wantNlink := uint32(1)
		if hardlinks {
			wantNlink = uint32(st.Nlink)
		}
		if n.Type() != TypeDir && n.Nlink != wantNlink {
			t.Errorf("%s: nlink %d, want %d", p, n.Nlink, wantNlink)
		}
		switch n.Type() {
		case TypeChar, TypeBlock:
			if uint64(n.Rdev) != st.Rdev {
				t.Errorf("%s: rdev %#x, disk %#x", p, n.Rdev, st.Rdev)
			}
		case TypeSymlink:
			target, _ := os.Readlink(disk)
			if n.Payload != target {
				t.Errorf("%s: target %q, disk %q", p, n.Payload, target)
			}
		case TypeRegular:
			checkContent(t, p, disk, n, st.Size)
		}
		want := map[string]string{}
		xs, _ := listXattrs(disk)
		for k, v := range xs {
			want[k] = v
		}
		for _, c := range n.Children {
			if c.Type() == TypeChar && c.Rdev == 0 && c.LinkTo == nil {
				// Format 1 marks a directory holding whiteouts as
				// opaque=x, and reading keeps those marks.
				want["trusted.overlay.opaque"], want["user.overlay.opaque"] = "x", "x"
			}
		}
		got := map[string]string{}
		for _, x := range n.Xattrs {
			got[x.Key] = string(x.Value)
		}
		if len(got) != len(want) {
			t.Errorf("%s: xattrs %q, disk %q", p, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: xattr %s = %q, disk %q", p, k, got[k], v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 8 {
		t.Fatalf("only %d nodes read back", seen)
	}
}

func checkContent(t *testing.T, p, disk string, n *Node, size int64) {
	t.Helper()
	data, err := os.ReadFile(disk)
	if err != nil {
		t.Fatal(err)
	}
	if n.Size != uint64(size) {
		t.Errorf("%s: size %d, disk %d", p, n.Size, size)
	}
	switch {
	case size == 0:
	case size <= RecommendedInlineContent:
		if !bytes.Equal(n.Content, data) {
			t.Errorf("%s: inline content %q, disk %q", p, n.Content, data)
		}
	default:
		d, err := fsverity.Sum(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if n.Digest == nil || *n.Digest != d {
			t.Errorf("%s: digest %v, want %x", p, n.Digest, d)
		}
		h := hex.EncodeToString(d[:])
		if n.Payload != h[:2]+"/"+h[2:] {
			t.Errorf("%s: payload %q, want the digest path", p, n.Payload)
		}
	}
}

func listXattrs(path string) (map[string]string, error) {
	sz, err := unix.Llistxattr(path, nil)
	if err != nil || sz == 0 {
		return nil, err
	}
	buf := make([]byte, sz)
	sz, err = unix.Llistxattr(path, buf)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, k := range strings.Split(strings.TrimRight(string(buf[:sz]), "\x00"), "\x00") {
		v := make([]byte, 65536)
		n, err := unix.Lgetxattr(path, k, v)
		if err != nil {
			return nil, err
		}
		out[k] = string(v[:n])
	}
	return out, nil
}

// TestFromDirStore checks that --digest-store copies external files to
// their digest paths.
func TestFromDirStore(t *testing.T) {
	dir := sourceTree(t)
	store := t.TempDir()
	root, err := FromDir(context.Background(), dir, DirOptions{DigestStore: store, UseEpoch: true, SkipDevices: true})
	if err != nil {
		t.Fatal(err)
	}
	big := root.Lookup("sub").Lookup("big")
	got, err := os.ReadFile(filepath.Join(store, big.Payload))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(dir, "sub/big"))
	if !bytes.Equal(got, want) {
		t.Fatal("stored object differs from the source")
	}
	if root.Lookup("null") != nil || root.MtimeSec != 0 {
		t.Fatal("SkipDevices or UseEpoch ignored")
	}
}
