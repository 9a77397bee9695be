package fsverity

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/testutil"
)

// randomData returns n deterministic pseudo-random bytes.
func randomData(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{0: byte(seed), 1: byte(seed >> 8)})
	r.Read(b)
	return b
}

// toolDigests runs `fsverity digest` on files and returns each file's digest.
func toolDigests(t *testing.T, tool string, p Params, files []string) map[string][sizeOfDigest]byte {
	t.Helper()
	args := []string{"digest", "--block-size=" + strconv.Itoa(p.blockSize())}
	if len(p.Salt) > 0 {
		args = append(args, "--salt="+hex.EncodeToString(p.Salt))
	}
	out, err := exec.Command(tool, append(args, files...)...).Output()
	if err != nil {
		t.Fatalf("fsverity %v: %v", args, err)
	}
	got := map[string][sizeOfDigest]byte{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		d, name, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("fsverity output line %q", line)
		}
		sum, err := ParseDigest(d)
		if err != nil {
			t.Fatal(err)
		}
		got[name] = sum
	}
	return got
}

const sizeOfDigest = 32

// TestDigestMatchesFsverityTool checks Sum against Debian's fsverity tool on
// sizes around block and tree-block boundaries, for several block sizes
// and salts, and checks streaming in odd chunks gives the same digest.
func TestDigestMatchesFsverityTool(t *testing.T) {
	tool := testutil.RequiresTool(t, "fsverity")
	sizes := []int{0, 1, 63, 64, 1023, 1024, 1025, 4095, 4096, 4097,
		32*1024 - 1, 32 * 1024, 32*1024 + 1, // 1 KiB blocks: one full tree block
		128*4096 - 1, 128 * 4096, 128*4096 + 1, // 4 KiB blocks: one full tree block
		1<<20 + 1,           // 1 KiB blocks: three levels
		3<<20 + 12345,       // a few MiB
		65535, 65536, 65537, // 64 KiB blocks
	}
	if !testing.Short() {
		sizes = append(sizes, 128*128*4096+1) // 4 KiB blocks: three levels
	}
	maxSize := 0
	for _, n := range sizes {
		maxSize = max(maxSize, n)
	}
	data := randomData(maxSize, 1)
	dir := t.TempDir()
	var files []string
	for _, n := range sizes {
		f := filepath.Join(dir, fmt.Sprintf("f%d", n))
		if err := os.WriteFile(f, data[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	salts := [][]byte{nil, {0x42}, randomData(17, 2), randomData(MaxSaltSize, 3)}
	for _, bs := range []int{1024, 4096, 65536} {
		for _, salt := range salts {
			p := Params{BlockSize: bs, Salt: salt}
			t.Run(fmt.Sprintf("bs%d/salt%d", bs, len(salt)), func(t *testing.T) {
				want := toolDigests(t, tool, p, files)
				for i, n := range sizes {
					w, ok := want[files[i]]
					if !ok {
						t.Fatalf("fsverity printed no digest for %s", files[i])
					}
					got, err := SumParams(bytes.NewReader(data[:n]), p)
					if err != nil {
						t.Fatal(err)
					}
					if got != w {
						t.Errorf("size %d: Sum %s, fsverity %s", n, FormatDigest(got), FormatDigest(w))
					}
					if n > 4<<20 {
						continue // chunked writes of the big file add time, not coverage
					}
					if got := chunked(p, data[:n], 1, 7, 1000, bs-1, bs+3); got != w {
						t.Errorf("size %d: chunked Write %s, fsverity %s", n, FormatDigest(got), FormatDigest(w))
					}
				}
			})
		}
	}
}

// chunked digests data written in chunks of the given sizes, cycling.
func chunked(p Params, data []byte, sizes ...int) [sizeOfDigest]byte {
	d := New(p)
	for i := 0; len(data) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(data))
		d.Write(data[:n])
		data = data[n:]
	}
	return d.Sum()
}

// TestSumFileMatchesTool digests an *os.File, the way callers use Sum.
func TestSumFileMatchesTool(t *testing.T) {
	tool := testutil.RequiresTool(t, "fsverity")
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, randomData(1<<20+4097, 4), 0o644); err != nil {
		t.Fatal(err)
	}
	want := toolDigests(t, tool, Params{}, []string{f})[f]
	r, err := os.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := Sum(r)
	if err != nil || got != want {
		t.Fatalf("Sum = %s, %v; fsverity %s", FormatDigest(got), err, FormatDigest(want))
	}
}
