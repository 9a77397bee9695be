package object

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func FuzzUnmarshalObjects(f *testing.F) {
	f.Add(MarshalDirTree(DirTree{Files: []TreeFile{{"a", Checksum{1}}}}))
	f.Add(MarshalDirMeta(DirMeta{Mode: 0o40755}))
	cb, _ := MarshalCommit(&Commit{Subject: "x"})
	f.Add(cb)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = UnmarshalDirTree(b)
		_, _ = UnmarshalDirMeta(b)
		_, _ = UnmarshalCommit(b)
		_, _ = UnmarshalBareUserMeta(b)
		_, _, _ = UnmarshalFileHeader(b)
	})
}

func FuzzReadArchive(f *testing.F) {
	var buf bytes.Buffer
	_ = WriteArchive(&buf, &FileHeader{Mode: 0o100644}, 5, strings.NewReader("hello"), 6)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, r, err := ReadArchiveHeader(bytes.NewReader(b))
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(r, 1<<20))
		}
	})
}
