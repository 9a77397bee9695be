package composefs

import (
	"bytes"
	"io"
	"testing"
)

// benchTree is the largest vector: a CentOS Stream 9 developer tree.
func benchTree(b *testing.B) (*Node, Options) {
	b.Helper()
	for _, v := range loadVectors(b, sharedVectorDir(b)) {
		if v.name == "cs9-x86_64-developer.dump.gz" {
			root, err := v.parse()
			if err != nil {
				b.Fatal(err)
			}
			return root, v.options()
		}
	}
	b.Fatal("cs9-x86_64-developer vector missing")
	return nil, Options{}
}

// BenchmarkWriteImage measures image generation; MB/s is of image bytes.
func BenchmarkWriteImage(b *testing.B) {
	root, opts := benchTree(b)
	var img bytes.Buffer
	if err := WriteImage(&img, root, opts); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(img.Len()))
	b.ReportMetric(float64(img.Len()), "image-bytes")
	b.ResetTimer()
	for b.Loop() {
		if err := WriteImage(io.Discard, root, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadImage measures parsing and verifying the same image.
func BenchmarkReadImage(b *testing.B) {
	root, opts := benchTree(b)
	var img bytes.Buffer
	if err := WriteImage(&img, root, opts); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(img.Len()))
	b.ResetTimer()
	for b.Loop() {
		if _, err := ReadImage(bytes.NewReader(img.Bytes()), int64(img.Len())); err != nil {
			b.Fatal(err)
		}
	}
}
