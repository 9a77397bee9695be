package object

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// Payloads opened one after another reuse released inflaters and still
// read exactly their own content; a released payload reads as empty, and
// a truncated stream is an error, not another stream's leftovers.
func TestOpenArchiveReuse(t *testing.T) {
	var streams [][]byte
	var payloads [][]byte
	for i := 0; i < 50; i++ {
		p := bytes.Repeat([]byte(fmt.Sprintf("object %d;", i)), 100+i*37)
		var b bytes.Buffer
		if err := WriteArchive(&b, &FileHeader{Mode: 0o100644}, uint64(len(p)), bytes.NewReader(p), 6); err != nil {
			t.Fatal(err)
		}
		streams, payloads = append(streams, b.Bytes()), append(payloads, p)
	}
	for round := 0; round < 2; round++ {
		for i, s := range streams {
			h, size, pl, err := OpenArchive(bytes.NewReader(s))
			if err != nil {
				t.Fatal(err)
			}
			if h.Mode != 0o100644 || size != uint64(len(payloads[i])) {
				t.Fatalf("stream %d: mode %o size %d", i, h.Mode, size)
			}
			got, err := io.ReadAll(pl)
			if err != nil || !bytes.Equal(got, payloads[i]) {
				t.Fatalf("stream %d: %d bytes, %v", i, len(got), err)
			}
			pl.Release()
			pl.Release()
			if n, _ := pl.Read(make([]byte, 8)); n != 0 {
				t.Fatalf("released payload read %d bytes", n)
			}
		}
	}
	_, _, pl, err := OpenArchive(bytes.NewReader(streams[3][:len(streams[3])-20]))
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Release()
	if _, err := io.ReadAll(pl); err == nil {
		t.Fatal("truncated stream read without error")
	}
}
