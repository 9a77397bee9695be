package composefs

import (
	"bytes"
	"testing"
)

// roundTrip checks, for one vector: image → ReadImage → WriteImage is
// byte-identical, and the dump of the image read back parses (strictly)
// into the same image and dumps to itself again.
func roundTrip(t *testing.T, v vector) {
	img, err := buildImage(v)
	if err != nil {
		t.Fatal(err)
	}
	im, err := ReadImage(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	opts := Options{Version: im.Version, MaxVersion: im.Version}
	var again bytes.Buffer
	if err := WriteImage(&again, im.Root, opts); err != nil {
		t.Fatalf("rewrite: %v", err)
	}
	if !bytes.Equal(again.Bytes(), img) {
		t.Fatalf("image read back and written again differs (%d vs %d bytes)", again.Len(), len(img))
	}
	var dump bytes.Buffer
	if err := WriteDump(&dump, im.Root); err != nil {
		t.Fatal(err)
	}
	root, err := ParseDumpStrict(bytes.NewReader(dump.Bytes()))
	if err != nil {
		t.Fatalf("parse canonical dump: %v", err)
	}
	var fromDump bytes.Buffer
	if err := WriteImage(&fromDump, root, opts); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fromDump.Bytes(), img) {
		t.Fatalf("image from the canonical dump differs")
	}
	im2, err := ReadImage(bytes.NewReader(fromDump.Bytes()), int64(fromDump.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var dump2 bytes.Buffer
	if err := WriteDump(&dump2, im2.Root); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dump2.Bytes(), dump.Bytes()) {
		t.Fatalf("canonical dump not stable:\n%s\n---\n%s", firstDiff(dump.String(), dump2.String()), "")
	}
}

func firstDiff(a, b string) string {
	al, bl := bytes.Split([]byte(a), []byte("\n")), bytes.Split([]byte(b), []byte("\n"))
	for i := range min(len(al), len(bl)) {
		if !bytes.Equal(al[i], bl[i]) {
			return string(al[i]) + "\n" + string(bl[i])
		}
	}
	return "length differs"
}

func TestRoundTrip(t *testing.T) {
	vs := loadVectors(t, "testdata/vectors")
	if dir := sharedVectorDirOptional(); dir != "" {
		vs = loadVectors(t, dir)
	}
	for _, v := range vs {
		if v.sha256 == "" {
			continue
		}
		t.Run(v.name, func(t *testing.T) { roundTrip(t, v) })
	}
}
