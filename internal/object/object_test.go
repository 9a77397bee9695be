package object

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The expected prefixes come from objects the reference ostree 2022.7
// wrote (see the format spec, sections 2.2 to 2.6).
func TestKnownChecksums(t *testing.T) {
	hello := &FileHeader{Mode: 0o100644, Xattrs: Xattrs{{"user.test", []byte("value")}}}
	c, n, err := FileChecksum(hello, strings.NewReader("hello\n"))
	if err != nil || n != 6 {
		t.Fatal(err, n)
	}
	check(t, "hello file", c, "3811f546", "4a0a")

	link := &FileHeader{Mode: 0o120777, Target: "hello"}
	c, _, _ = FileChecksum(link, nil)
	check(t, "symlink", c, "73baaba0", "2934")

	check(t, "root dirmeta", Sum(MarshalDirMeta(DirMeta{Mode: 0o40755})), "446a0ef1", "6c5488")
	check(t, "empty dirtree", Sum(MarshalDirTree(DirTree{})), "6e340b9c", "afa01d")
	if !bytes.Equal(MarshalDirTree(DirTree{}), EmptyDirTree) {
		t.Error("empty dirtree bytes")
	}
	want := "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x81\xa4user.test\x00value\x0a\x10"
	if got := string(MarshalBareUserMeta(hello)); got != want {
		t.Errorf("ostreemeta %q, want %q", got, want)
	}
}

func check(t *testing.T, what string, c Checksum, prefix, suffix string) {
	t.Helper()
	s := c.String()
	if !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, suffix) {
		t.Errorf("%s: checksum %s, want %s…%s", what, s, prefix, suffix)
	}
}

func TestArchiveRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name    string
		h       FileHeader
		payload string
	}{
		{"regular", FileHeader{UID: 1000, GID: 1000, Mode: 0o100755, Xattrs: Xattrs{{"user.a", []byte("b")}}}, "#!/bin/sh\necho hi\n"},
		{"empty", FileHeader{Mode: 0o100644}, ""},
		{"symlink", FileHeader{Mode: 0o120777, Target: "../x"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteArchive(&buf, &tc.h, uint64(len(tc.payload)), strings.NewReader(tc.payload), 6); err != nil {
				t.Fatal(err)
			}
			h, size, r, err := ReadArchiveHeader(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.h, *h); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
			if size != uint64(len(tc.payload)) || string(data) != tc.payload {
				t.Errorf("payload %q size %d", data, size)
			}
		})
	}
}

func TestArchiveRejectsBadSize(t *testing.T) {
	var buf bytes.Buffer
	h := FileHeader{Mode: 0o100644}
	if err := WriteArchive(&buf, &h, 5, strings.NewReader("hello"), 6); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// Claim 4 bytes: the reader must notice the extra payload.
	lie := append([]byte{}, MarshalArchiveHeader(&h, 4)...)
	lie = append(lie, b[len(MarshalArchiveHeader(&h, 5)):]...)
	_, _, r, err := ReadArchiveHeader(bytes.NewReader(lie))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); err == nil {
		t.Fatal("payload longer than the header accepted")
	}
}

func TestDirTreeRoundTripAndValidation(t *testing.T) {
	var c1, c2 Checksum
	c1[0], c2[0] = 1, 2
	tree := DirTree{
		Files: []TreeFile{{"a", c1}, {"b", c2}},
		Dirs:  []TreeDir{{"d", c1, c2}},
	}
	got, err := UnmarshalDirTree(MarshalDirTree(tree))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tree, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []DirTree{
		{Files: []TreeFile{{"..", c1}}},
		{Files: []TreeFile{{"a/b", c1}}},
		{Files: []TreeFile{{"b", c1}, {"a", c1}}},
		{Files: []TreeFile{{"a", c1}}, Dirs: []TreeDir{{"a", c1, c2}}},
	} {
		if _, err := UnmarshalDirTree(MarshalDirTree(bad)); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

func TestCommitRoundTrip(t *testing.T) {
	c := &Commit{Subject: "s", Body: "b", Timestamp: 1577836800}
	c.RootTree[0], c.RootMeta[1], c.Parent[2] = 1, 2, 3
	b, err := MarshalCommit(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalCommit(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := MarshalCommit(got)
	if !bytes.Equal(b, b2) || got.Parent != c.Parent || got.Timestamp != c.Timestamp {
		t.Errorf("round trip differs: %+v", got)
	}
}

func TestModeValidation(t *testing.T) {
	for _, tc := range []struct {
		mode uint32
		ok   bool
	}{{0o100644, true}, {0o120777, true}, {0o104755, true}, {0o20644, false}, {0o40755, false}, {0o1100644, false}} {
		if err := ValidateFileMode(tc.mode); (err == nil) != tc.ok {
			t.Errorf("mode %o: %v", tc.mode, err)
		}
	}
}

func TestTombstone(t *testing.T) {
	var c Checksum
	c[0] = 0x4c
	if n := len(MarshalTombstone(c)); n != 78 {
		t.Errorf("tombstone is %d bytes, want 78", n)
	}
}
