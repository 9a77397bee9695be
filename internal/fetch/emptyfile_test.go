package fetch

import (
	"os"
	"path/filepath"
	"testing"
)

// emptyFile leaves a fresh file alone (no truncate, which ext4 answers by
// writing the file out on close) and empties one that holds data.
func TestEmptyFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := emptyFile(f); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("partial body"), 0); err != nil {
		t.Fatal(err)
	}
	if err := emptyFile(f); err != nil {
		t.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != 0 {
		t.Fatalf("size after emptyFile: %d", st.Size())
	}
}
