package commit

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
)

type tarEntry struct {
	name     string
	typ      byte
	body     string
	link     string
	mode     int64
	xattrs   map[string]string
	uid, gid int
}

func makeTar(t *testing.T, gz bool, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w *tar.Writer
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		w = tar.NewWriter(zw)
	} else {
		w = tar.NewWriter(&buf)
	}
	for _, e := range entries {
		mode := e.mode
		if mode == 0 {
			mode = 0o644
			if e.typ == tar.TypeDir {
				mode = 0o755
			}
		}
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: mode, Linkname: e.link, Uid: e.uid, Gid: e.gid, Format: tar.FormatPAX}
		if e.typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if len(e.xattrs) > 0 {
			h.PAXRecords = map[string]string{}
			for k, v := range e.xattrs {
				h.PAXRecords["SCHILY.xattr."+k] = v
			}
		}
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			if _, err := w.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func commitArchive(t *testing.T, r *repo.Repo, data []byte, opts ArchiveOptions) (Result, error) {
	t.Helper()
	o := commitOpts(TreeSource{"tar", "-"})
	o.Stdin = bytes.NewReader(data)
	o.Archive = opts
	return Run(context.Background(), r, o)
}

func TestPathRelative(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"./usr/bin/foo", "usr/bin/foo", ""},
		{"/etc/passwd", "etc/passwd", ""},
		{"//../etc/x", "etc/x", ""},
		{".", "", ""},
		{"./", "", ""},
		{"a//b/./c", "a//b/./c", ""},
		{"../x", "", "Invalid uplink '..' in path ../x"},
		{"a/../../x", "", "Invalid uplink"},
	} {
		got, err := pathRelative(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("pathRelative(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("pathRelative(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestArchiveImport(t *testing.T) {
	ctx := context.Background()
	data := makeTar(t, true,
		tarEntry{name: "./", typ: tar.TypeDir},
		tarEntry{name: "./usr/", typ: tar.TypeDir},
		tarEntry{name: "./usr/bin/", typ: tar.TypeDir},
		tarEntry{name: "./usr/bin/foo", typ: tar.TypeReg, body: "contents\n", xattrs: map[string]string{"user.b": "2", "user.a": "1"}},
		tarEntry{name: "./usr/bin/bar", typ: tar.TypeLink, link: "./usr/bin/foo"},
		tarEntry{name: "./usr/bin/sl", typ: tar.TypeSymlink, link: "foo"},
		tarEntry{name: "./usr/bin/slhl", typ: tar.TypeLink, link: "usr/bin/sl"},
		tarEntry{name: "/usr/bin/abs", typ: tar.TypeReg, body: "absolute"},
	)
	r := newRepo(t, repo.ModeBareUser)
	res, err := commitArchive(t, r, data, ArchiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/usr/", "/usr/bin/", "/usr/bin/abs = absolute", "/usr/bin/bar = contents\n",
		"/usr/bin/foo = contents\n", "/usr/bin/sl -> foo", "/usr/bin/slhl -> foo"}
	if diff := cmp.Diff(want, listTree(t, r, res.Commit)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Hard links share the object; xattrs are kept, in canonical order.
	cm, _ := r.LoadCommit(ctx, res.Commit)
	usr, _ := r.LoadDirTree(ctx, cm.RootTree)
	bin, _ := r.LoadDirTree(ctx, usr.Dirs[0].Tree)
	bin, _ = r.LoadDirTree(ctx, bin.Dirs[0].Tree)
	sums := map[string]object.Checksum{}
	for _, f := range bin.Files {
		sums[f.Name] = f.Checksum
	}
	if sums["foo"] != sums["bar"] || sums["sl"] != sums["slhl"] {
		t.Errorf("hard links got different objects: %v", sums)
	}
	h, rc, _, err := r.LoadFile(ctx, sums["foo"])
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	wantX := object.Xattrs{{Name: "user.a", Value: []byte("1")}, {Name: "user.b", Value: []byte("2")}}
	if !h.Xattrs.Equal(wantX) {
		t.Errorf("xattrs = %v, want %v", h.Xattrs, wantX)
	}
}

func TestArchiveBadInput(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []tarEntry
		opts    ArchiveOptions
		wantErr string
	}{
		{"uplink", []tarEntry{{name: "./", typ: tar.TypeDir}, {name: "../x", typ: tar.TypeReg, body: "x"}}, ArchiveOptions{}, "Invalid uplink '..' in path ../x"},
		{"uplink inside", []tarEntry{{name: "./", typ: tar.TypeDir}, {name: "a/../../x", typ: tar.TypeReg, body: "x"}}, ArchiveOptions{}, "Invalid uplink"},
		{"hardlink outside", []tarEntry{{name: "./", typ: tar.TypeDir}, {name: "x", typ: tar.TypeLink, link: "../etc/shadow"}}, ArchiveOptions{}, "Invalid uplink '..' in path ../etc/shadow"},
		{"hardlink to nothing", []tarEntry{{name: "./", typ: tar.TypeDir}, {name: "x", typ: tar.TypeLink, link: "nothere"}}, ArchiveOptions{}, "No such file or directory: nothere"},
		{"hardlink to dir", []tarEntry{{name: "./", typ: tar.TypeDir}, {name: "d/", typ: tar.TypeDir}, {name: "x", typ: tar.TypeLink, link: "d"}}, ArchiveOptions{}, "but found a directory"},
		{"device node", []tarEntry{{name: "./", typ: tar.TypeDir}, {name: "null", typ: tar.TypeChar}}, ArchiveOptions{}, `Unsupported file type for path "null"`},
		{"fifo", []tarEntry{{name: "./", typ: tar.TypeDir}, {name: "p", typ: tar.TypeFifo}}, ArchiveOptions{}, `Unsupported file type for path "p"`},
		{"missing parent", []tarEntry{{name: "./", typ: tar.TypeDir}, {name: "a/b", typ: tar.TypeReg}}, ArchiveOptions{}, "No such file or directory: a"},
		{"file over dir", []tarEntry{{name: "./", typ: tar.TypeDir}, {name: "a/", typ: tar.TypeDir}, {name: "a", typ: tar.TypeReg}}, ArchiveOptions{}, "Can't replace directory with file: a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRepo(t, repo.ModeArchive)
			_, err := commitArchive(t, r, makeTar(t, false, tc.entries...), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want error containing %q", err, tc.wantErr)
			}
			n := 0
			r.ListObjects(context.Background(), func(object.Name) error { n++; return nil })
			if n != 0 {
				t.Errorf("%d objects published by a failed commit", n)
			}
		})
	}
}

func TestArchiveNULName(t *testing.T) {
	// A NUL cannot be stored in a ustar name; a PAX path record with one is
	// rejected by the reader, which must fail the commit cleanly.
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	w.WriteHeader(&tar.Header{Name: "ok", Typeflag: tar.TypeReg, Mode: 0o644, Size: 0, Format: tar.FormatPAX,
		PAXRecords: map[string]string{"path": "a\x00b"}})
	w.Close()
	r := newRepo(t, repo.ModeArchive)
	if _, err := commitArchive(t, r, buf.Bytes(), ArchiveOptions{}); err == nil {
		t.Fatal("committed an archive with a NUL in a path")
	}
}

func TestArchiveAutocreate(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t, repo.ModeArchive)
	res, err := commitArchive(t, r, makeTar(t, true, tarEntry{name: "subdir/original", typ: tar.TypeReg, body: "original", uid: 7, gid: 8}),
		ArchiveOptions{AutocreateParents: true})
	if err != nil {
		t.Fatal(err)
	}
	cm, _ := r.LoadCommit(ctx, res.Commit)
	m, _ := r.LoadDirMeta(ctx, cm.RootMeta)
	if m.Mode != object.ModeDir|0o755 || m.UID != 7 || m.GID != 8 {
		t.Errorf("autocreated root = %+v", m)
	}
	// An empty archive gets a root directory, through the modifier.
	mod := NewModifier()
	mod.OwnerUID, mod.OwnerGID = 3, 4
	o := commitOpts(TreeSource{"tar", "-"})
	o.Stdin = bytes.NewReader(makeTar(t, false))
	o.Archive.AutocreateParents = true
	o.Modifier = mod
	res, err = Run(ctx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	cm, _ = r.LoadCommit(ctx, res.Commit)
	m, _ = r.LoadDirMeta(ctx, cm.RootMeta)
	if m.UID != 3 || m.GID != 4 || cm.RootTree != emptyDirTree {
		t.Errorf("empty archive root = %+v tree %s", m, cm.RootTree)
	}
}

func TestPathnameFilter(t *testing.T) {
	for _, tc := range []struct{ spec, in, want string }{
		{"^,foo/", "usr/bin", "foo/usr/bin"},
		{"^usr/bin/,usr/sbin/", "usr/bin/foo", "usr/sbin/foo"},
		{"/bin/,/sbin/", "usr/bin/foo", "usr/sbin/foo"},
		{`^(\w+)/,\1-x/`, "usr/lib", "usr-x/lib"},
		{`^(\w+)/,\g<1>$/`, "usr/lib", "usr$/lib"},
	} {
		f, err := PathnameFilter(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := f(tc.in); got != tc.want {
			t.Errorf("%q on %q = %q, want %q", tc.spec, tc.in, got, tc.want)
		}
	}
	if _, err := PathnameFilter("nocomma"); err == nil {
		t.Error("filter without a comma accepted")
	}
}

// cpioNewc builds a newc archive; entries are (name, mode, ino, nlink, data).
func cpioNewc(entries ...[5]any) []byte {
	var b bytes.Buffer
	pad := func() {
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	write := func(name string, mode, ino, nlink int, data string) {
		fmt.Fprintf(&b, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
			ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
		b.WriteString(name)
		b.WriteByte(0)
		pad()
		b.WriteString(data)
		pad()
	}
	for _, e := range entries {
		write(e[0].(string), e[1].(int), e[2].(int), e[3].(int), e[4].(string))
	}
	write("TRAILER!!!", 0, 0, 1, "")
	return b.Bytes()
}

func TestCpioImport(t *testing.T) {
	data := cpioNewc(
		[5]any{".", 0o40755, 1, 3, ""},
		[5]any{"./bin", 0o40755, 2, 2, ""},
		// GNU cpio stores a multiply-linked file's data with its last name.
		[5]any{"./bin/foo", 0o100644, 3, 3, ""},
		[5]any{"./bin/bar", 0o100644, 3, 3, ""},
		[5]any{"./baz", 0o100644, 3, 3, "contents\n"},
		[5]any{"./sl", 0o120777, 4, 1, "bin/foo"},
	)
	r := newRepo(t, repo.ModeArchive)
	res, err := commitArchive(t, r, data, ArchiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/baz = contents\n", "/sl -> bin/foo", "/bin/", "/bin/bar = contents\n", "/bin/foo = contents\n"}
	if diff := cmp.Diff(want, listTree(t, r, res.Commit)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
