package fsverity

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"testing"
)

// naiveDigest builds the whole tree in memory, level by level, straight from
// the kernel's description; an oracle for the streaming code that shares
// none of its bookkeeping.
func naiveDigest(p Params, data []byte) [sizeOfDigest]byte {
	bs := p.blockSize()
	var salt []byte
	if len(p.Salt) > 0 {
		salt = make([]byte, 64)
		copy(salt, p.Salt)
	}
	hashBlocks := func(b []byte) []byte {
		var out []byte
		for off := 0; off < len(b); off += bs {
			block := make([]byte, bs)
			copy(block, b[off:])
			h := sha256.Sum256(append(append([]byte{}, salt...), block...))
			out = append(out, h[:]...)
		}
		return out
	}
	var root [32]byte
	if len(data) > 0 {
		level := hashBlocks(data)
		for len(level) > 32 {
			level = hashBlocks(level)
		}
		copy(root[:], level)
	}
	desc := make([]byte, 256)
	desc[0], desc[1] = 1, 1
	for 1<<desc[2] < bs {
		desc[2]++
	}
	desc[3] = byte(len(p.Salt))
	binary.LittleEndian.PutUint64(desc[8:], uint64(len(data)))
	copy(desc[16:], root[:])
	copy(desc[80:], p.Salt)
	return sha256.Sum256(desc)
}

func TestDigestMatchesNaiveTree(t *testing.T) {
	data := randomData(1<<20+3000, 5)
	for _, p := range []Params{{}, {BlockSize: 1024}, {BlockSize: 1024, Salt: []byte("salt")}, {BlockSize: 65536, Salt: randomData(32, 6)}} {
		for _, n := range []int{0, 1, 1024, 32 * 1024, 32*1024 + 1, 32*32*1024 + 1, 128*4096 + 1, len(data)} {
			got, err := SumParams(bytes.NewReader(data[:n]), p)
			if err != nil {
				t.Fatal(err)
			}
			if want := naiveDigest(p, data[:n]); got != want {
				t.Errorf("bs %d salt %d size %d: %x, naive tree %x", p.BlockSize, len(p.Salt), n, got, want)
			}
		}
	}
}

// Sum must leave the state alone: digesting a prefix mid-stream and then
// writing on gives both the prefix's and the whole file's digest.
func TestSumMidStream(t *testing.T) {
	data := randomData(300*1024+17, 7)
	p := Params{BlockSize: 1024, Salt: []byte{1, 2, 3}}
	d := New(p)
	for off := 0; off < len(data); {
		n := min(4093, len(data)-off)
		d.Write(data[off : off+n])
		off += n
		if got, want := d.Sum(), naiveDigest(p, data[:off]); got != want {
			t.Fatalf("after %d bytes: %x, want %x", off, got, want)
		}
	}
}

func TestInvalidParams(t *testing.T) {
	for _, p := range []Params{{BlockSize: 512}, {BlockSize: 3000}, {BlockSize: 1 << 17}, {BlockSize: -4096}, {Salt: make([]byte, 33)}} {
		if _, err := SumParams(bytes.NewReader([]byte("x")), p); !errors.Is(err, ErrInvalidParams) {
			t.Errorf("SumParams(%d, salt %d) = %v, want ErrInvalidParams", p.BlockSize, len(p.Salt), err)
		}
		d := New(p)
		if _, err := d.Write([]byte("x")); !errors.Is(err, ErrInvalidParams) {
			t.Errorf("Write with bad params = %v", err)
		}
		if d.Sum() != ([32]byte{}) || d.Err() == nil {
			t.Errorf("bad params: Sum %x, Err %v", d.Sum(), d.Err())
		}
	}
}

// errReader fails after giving some data.
type errReader struct{ n int }

var errBroken = errors.New("broken pipe")

func (r *errReader) Read(b []byte) (int, error) {
	if r.n == 0 {
		return 0, errBroken
	}
	n := min(r.n, len(b))
	r.n -= n
	return n, nil
}

func TestSumReadError(t *testing.T) {
	if _, err := Sum(&errReader{n: 10000}); !errors.Is(err, errBroken) {
		t.Fatalf("Sum of a failing reader = %v", err)
	}
}

func TestParseDigest(t *testing.T) {
	d := sha256.Sum256([]byte("x"))
	s := FormatDigest(d)
	for _, in := range []string{s, s[len("sha256:"):]} {
		got, err := ParseDigest(in)
		if err != nil || got != d {
			t.Errorf("ParseDigest(%q) = %x, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "sha256:", s + "0", s[:len(s)-1] + "g", "sha512:" + s[7:]} {
		if _, err := ParseDigest(bad); err == nil {
			t.Errorf("ParseDigest(%q) accepted", bad)
		}
	}
}

// FuzzDigest checks that any chunking of the stream, and the naive in-memory
// tree, agree with the one-shot digest.
func FuzzDigest(f *testing.F) {
	f.Add([]byte{}, []byte{1}, uint8(0), []byte{})
	f.Add(randomData(5000, 8), []byte{3, 200, 1}, uint8(1), []byte("salt"))
	f.Add(randomData(33*1024+5, 9), []byte{255, 0, 17}, uint8(0), randomData(32, 10))
	f.Fuzz(func(t *testing.T, data, chunks []byte, bsSel uint8, salt []byte) {
		// Small blocks keep multi-level trees within reach of fuzzed sizes.
		p := Params{BlockSize: []int{1024, 2048, 4096}[int(bsSel)%3], Salt: salt}
		want, err := SumParams(bytes.NewReader(data), p)
		if err != nil {
			if len(salt) > MaxSaltSize && errors.Is(err, ErrInvalidParams) {
				return
			}
			t.Fatal(err)
		}
		if len(chunks) == 0 {
			chunks = []byte{1}
		}
		d := New(p)
		rest := data
		for i := 0; len(rest) > 0; i++ {
			n := min(int(chunks[i%len(chunks)])*37, len(rest))
			d.Write(rest[:n])
			if n == 0 { // an empty write, then one byte to make progress
				n = 1
				d.Write(rest[:n])
			}
			rest = rest[n:]
		}
		if got := d.Sum(); got != want {
			t.Fatalf("chunked %x, one-shot %x", got, want)
		}
		if got := naiveDigest(p, data); got != want {
			t.Fatalf("naive tree %x, one-shot %x", got, want)
		}
	})
}

func FuzzParseDigest(f *testing.F) {
	f.Add("sha256:" + string(bytes.Repeat([]byte("ab"), 32)))
	f.Add("xyz")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDigest(s)
		if err != nil {
			return
		}
		if again, err := ParseDigest(FormatDigest(d)); err != nil || again != d {
			t.Fatalf("round trip of %q: %x, %v", s, again, err)
		}
	})
}
