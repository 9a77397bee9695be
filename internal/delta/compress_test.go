package delta

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"
)

func compressTestInputs() map[string][]byte {
	text := []byte(strings.Repeat("the quick brown fox jumps over the lazy dog; ", 3000))
	mixed := append(bytes.Clone(text), pseudoRandom(200_000, 5)...)
	mixed = append(mixed, text[:50_000]...)
	mixed = append(mixed, make([]byte, 100_000)...)
	return map[string][]byte{
		"empty":  {},
		"one":    {42},
		"short":  []byte("abcabcabc"),
		"text":   text,
		"random": pseudoRandom(300_000, 6), // stored chunks
		"mixed":  mixed,
		"zeros":  make([]byte, 3<<20), // several chunks
	}
}

// TestWriteXZ checks the encoder against the xz tool (liblzma, what
// libostree decodes parts with) and ulikunitz/xz's reader.
func TestWriteXZ(t *testing.T) {
	inputs := compressTestInputs()
	if bin, err := os.ReadFile("/proc/self/exe"); err == nil {
		inputs["binary"] = bin[:min(len(bin), 1<<20)]
	}
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeXZ(&buf, data, xzOptions{}); err != nil {
				t.Fatal(err)
			}
			zr, err := xz.NewReader(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("ulikunitz/xz: %v, equal %v", err, bytes.Equal(got, data))
			}
			if _, err := exec.LookPath("xz"); err == nil {
				if out, err := runXZ(buf.Bytes(), "-dc"); err != nil || !bytes.Equal(out, data) {
					t.Fatalf("xz -d: %v, equal %v", err, bytes.Equal(out, data))
				}
			}
			t.Logf("%d → %d bytes", len(data), buf.Len())
		})
	}
}

func FuzzWriteXZ(f *testing.F) {
	for _, data := range compressTestInputs() {
		if len(data) < 1<<16 {
			f.Add(data)
		}
	}
	f.Add([]byte("abababababababababababcabcabcabc"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var buf bytes.Buffer
		if err := writeXZ(&buf, data, xzOptions{dict: 1 << 12, depth: 4}); err != nil {
			t.Fatal(err)
		}
		zr, err := xz.NewReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip: %v, equal %v", err, bytes.Equal(got, data))
		}
	})
}

// TestWriteXZSmallWindow makes the match finder's cyclic tables wrap
// many times, with windows that are not powers of two, across stored
// (random) stretches where the match finder jumps ahead: every match
// must stay within the dictionary and real. (A slot off by one after
// such a jump once corrupted the trees and the stream.)
func TestWriteXZSmallWindow(t *testing.T) {
	bin, err := os.ReadFile("/proc/self/exe")
	if err != nil || len(bin) < 1<<20 {
		t.Skip("needs the test binary as varied sample data")
	}
	var data []byte
	for i := range 4 {
		data = append(data, bin[i*200_000:i*200_000+300_000]...)
		data = append(data, pseudoRandom(100_000+i*10_000, uint32(i))...)
	}
	for _, dict := range []int{1 << 12, 3 << 13, 3 << 17, 1 << 20} {
		var buf bytes.Buffer
		if err := writeXZ(&buf, data, xzOptions{dict: dict}); err != nil {
			t.Fatal(err)
		}
		got, err := decodeXZ(t, buf.Bytes(), int64(len(data)))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("dict %d: %v, equal %v", dict, err, bytes.Equal(got, data))
		}
		if _, err := exec.LookPath("xz"); err == nil {
			if _, err := runXZ(buf.Bytes(), "-t"); err != nil {
				t.Fatalf("dict %d: xz -t: %v", dict, err)
			}
		}
	}
}

// runXZ runs the xz tool (liblzma) on in and returns its output; an
// error carries what it printed on stderr.
func runXZ(in []byte, args ...string) ([]byte, error) {
	cmd := exec.Command("xz", args...)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("xz %v: %v: %s", args, err, stderr.String())
	}
	return out, nil
}
