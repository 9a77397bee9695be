package composefs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func specialImage(t *testing.T) []byte {
	t.Helper()
	for _, v := range loadVectors(t, "testdata/vectors") {
		if v.name == "special.dump" {
			img, err := buildImage(v)
			if err != nil {
				t.Fatal(err)
			}
			return img
		}
	}
	t.Fatal("special.dump missing from testdata")
	return nil
}

// TestReadMutated flips every byte of the metadata of a valid image to a
// few values and truncates it at every slot: ReadImage must return an
// error or a tree, never panic or hang.
func TestReadMutated(t *testing.T) {
	img := specialImage(t)
	accepted, refused := 0, 0
	try := func(b []byte) {
		if _, err := ReadImage(bytes.NewReader(b), int64(len(b))); err != nil {
			if !errors.Is(err, ErrMalformed) && !strings.Contains(err.Error(), "not supported") {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			refused++
		} else {
			accepted++
		}
	}
	le := binary.LittleEndian
	metaEnd := int(le.Uint32(img[superOffset+44:]))*blockSize + blockSize
	for i := 0; i < metaEnd && i < len(img); i++ {
		for _, v := range []byte{0xff, img[i] ^ 0x10} {
			if v == img[i] {
				continue
			}
			b := bytes.Clone(img)
			b[i] = v
			try(b)
		}
	}
	for n := 0; n < len(img); n += slotSize {
		try(img[:n])
	}
	t.Logf("%d mutations accepted, %d refused", accepted, refused)
	if refused == 0 {
		t.Fatal("no mutation was refused")
	}
}

// TestReadRefuses checks that specific corruptions give the error that
// names them.
func TestReadRefuses(t *testing.T) {
	img := specialImage(t)
	le := binary.LittleEndian
	rootNid := uint64(le.Uint16(img[superOffset+14:]))
	rootOff := rootNid * slotSize
	tests := []struct {
		name   string
		mutate func(b []byte) []byte
		want   string
	}{
		{"empty", func(b []byte) []byte { return nil }, "too short"},
		{"composefs magic", func(b []byte) []byte { b[0] ^= 1; return b }, "composefs magic"},
		{"erofs magic", func(b []byte) []byte { b[superOffset] ^= 1; return b }, "EROFS magic"},
		{"block size", func(b []byte) []byte { b[superOffset+12] = 9; return b }, "block size"},
		{"truncated", func(b []byte) []byte { return b[:len(b)-blockSize] }, "blocks"},
		{"root beyond image", func(b []byte) []byte { le.PutUint16(b[superOffset+14:], 0xffff); return b }, "beyond the image"},
		{"root not a directory", func(b []byte) []byte { le.PutUint16(b[rootOff+4:], TypeRegular|0o644); return b }, ""},
		{"inode count", func(b []byte) []byte { b[superOffset+16]++; return b }, "inodes"},
		{"bad mode", func(b []byte) []byte { le.PutUint16(b[rootOff+4:], 0o644); return b }, "invalid mode"},
		{"dot entry", func(b []byte) []byte {
			// The root's entries are in block data; point "." elsewhere.
			blk := uint64(le.Uint32(b[rootOff+16:])) * blockSize
			le.PutUint64(b[blk:], rootNid+2)
			return b
		}, `entry "."`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.mutate(bytes.Clone(img))
			_, err := ReadImage(bytes.NewReader(b), int64(len(b)))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// TestReadDirectoryLoop makes a directory entry point at its parent.
func TestReadDirectoryLoop(t *testing.T) {
	root := &Node{Mode: TypeDir | 0o755}
	sub := &Node{Name: "sub", Mode: TypeDir | 0o755}
	if err := root.AddChild(sub); err != nil {
		t.Fatal(err)
	}
	if err := sub.AddChild(&Node{Name: "subsub", Mode: TypeDir | 0o755}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteImage(&buf, root, Options{}); err != nil {
		t.Fatal(err)
	}
	img := buf.Bytes()
	if _, err := ReadImage(bytes.NewReader(img), int64(len(img))); err != nil {
		t.Fatal(err)
	}
	// sub's inline entries are ".", "..", "subsub", then their names.
	i := bytes.Index(img, []byte("...subsub"))
	if i < 0 {
		t.Fatal("entries of sub not found")
	}
	ents := img[i-3*direntSize:]
	copy(ents[2*direntSize:2*direntSize+8], ents[:8]) // subsub -> sub
	if _, err := ReadImage(bytes.NewReader(img), int64(len(img))); err == nil || !strings.Contains(err.Error(), "reached twice") {
		t.Fatalf("loop not refused: %v", err)
	}
}
