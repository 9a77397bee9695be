package delta

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/ulikunitz/xz"

	"github.com/gostree/gostree/internal/errdefs"
	"github.com/gostree/gostree/internal/testutil"
)

func decodeXZ(t testing.TB, stream []byte, max int64) ([]byte, error) {
	t.Helper()
	return readXZ(bufio.NewReader(bytes.NewReader(stream)), nil, max)
}

// TestReadXZFromXZTool decodes what liblzma (the xz tool) writes with
// the presets, checks, literal/position properties and block layouts
// libostree or any other producer might use.
func TestReadXZFromXZTool(t *testing.T) {
	testutil.RequiresTool(t, "xz")
	inputs := compressTestInputs()
	if bin, err := os.ReadFile("/proc/self/exe"); err == nil {
		inputs["binary"] = bin[:min(len(bin), 1<<20)]
	}
	flagSets := [][]string{
		{"-0"}, {"-6"}, {"-9e"},
		{"--check=none"}, {"--check=crc32"}, {"--check=sha256"},
		{"--lzma2=preset=6,lc=0,lp=4,pb=0"}, {"--lzma2=preset=1,lc=4,lp=0,pb=4"},
		{"--lzma2=preset=6,mf=hc4,mode=fast"},
		{"--block-size=70000"}, {"-T2", "--block-size=1000000"},
	}
	for name, data := range inputs {
		sets := flagSets
		if name != "mixed" && name != "binary" {
			sets = flagSets[1:2] // the default preset on the special cases
		}
		for _, flags := range sets {
			stream, err := runXZ(data, append([]string{"-c", "-q"}, flags...)...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeXZ(t, stream, int64(len(data)))
			if err != nil {
				t.Errorf("%s, xz %v: %v", name, flags, err)
				continue
			}
			if !bytes.Equal(got, data) {
				t.Errorf("%s, xz %v: decoded %d bytes that differ from the %d written", name, flags, len(got), len(data))
			}
		}
	}
}

// TestReadXZRoundTrip decodes our encoder's and ulikunitz/xz's streams,
// and stops at the stream's end, leaving what follows unread.
func TestReadXZRoundTrip(t *testing.T) {
	for name, data := range compressTestInputs() {
		var ours bytes.Buffer
		if err := writeXZ(&ours, data, xzOptions{}); err != nil {
			t.Fatal(err)
		}
		var theirs bytes.Buffer
		zw, err := xz.WriterConfig{CheckSum: xz.CRC64}.NewWriter(&theirs)
		if err != nil {
			t.Fatal(err)
		}
		zw.Write(data)
		zw.Close()
		for enc, stream := range map[string][]byte{"ours": ours.Bytes(), "ulikunitz": theirs.Bytes()} {
			r := bufio.NewReader(bytes.NewReader(append(bytes.Clone(stream), "trailer"...)))
			got, err := readXZ(r, make([]byte, 0, 10), int64(len(data)))
			if err != nil {
				t.Errorf("%s from %s: %v", name, enc, err)
				continue
			}
			if !bytes.Equal(got, data) {
				t.Errorf("%s from %s: decoded data differs", name, enc)
			}
			if rest, _ := r.Peek(100); string(rest) != "trailer" {
				t.Errorf("%s from %s: left %q after the stream", name, enc, rest)
			}
		}
	}
}

// TestReadXZRejectsDamage flips every bit position's byte of a small
// stream and cuts it at every length: each must fail as corrupt (the
// CRC64 check catches what the format itself does not), never panic or
// return other data.
func TestReadXZRejectsDamage(t *testing.T) {
	data := append([]byte("hello, hello, hello world; "), pseudoRandom(3000, 9)...)
	data = append(data, bytes.Repeat([]byte("abc"), 2000)...)
	var buf bytes.Buffer
	if err := writeXZ(&buf, data, xzOptions{}); err != nil {
		t.Fatal(err)
	}
	stream := buf.Bytes()
	for i := range stream {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(stream)
			bad[i] ^= mask
			got, err := decodeXZ(t, bad, 1<<20)
			if err == nil {
				t.Fatalf("byte %d ^ %#x: decoded %d bytes without error", i, mask, len(got))
			}
			if !errors.Is(err, errdefs.ErrCorrupt) {
				t.Fatalf("byte %d ^ %#x: %v is not ErrCorrupt", i, mask, err)
			}
		}
	}
	for n := range len(stream) {
		if _, err := decodeXZ(t, stream[:n], 1<<20); !errors.Is(err, errdefs.ErrCorrupt) {
			t.Fatalf("cut at %d: %v", n, err)
		}
	}
}

// TestReadXZBomb stops at the output limit before allocating past it.
func TestReadXZBomb(t *testing.T) {
	var buf bytes.Buffer
	if err := writeXZ(&buf, make([]byte, 8<<20), xzOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := decodeXZ(t, buf.Bytes(), 1<<20); !errors.Is(err, errdefs.ErrCorrupt) {
		t.Fatalf("got %v, want a corrupt-data error", err)
	}
}

func BenchmarkReadXZ(b *testing.B) {
	data := compressTestInputs()["mixed"]
	if bin, err := os.ReadFile("/proc/self/exe"); err == nil {
		data = bin[:min(len(bin), 8<<20)]
	}
	var buf bytes.Buffer
	if err := writeXZ(&buf, data, xzOptions{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeXZ(b, buf.Bytes(), int64(len(data))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ulikunitz", func(b *testing.B) {
		for b.Loop() {
			zr, err := xz.NewReader(bytes.NewReader(buf.Bytes()))
			if err != nil {
				b.Fatal(err)
			}
			var out bytes.Buffer
			if _, err := out.ReadFrom(zr); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzReadXZ feeds damaged and odd streams to the decoder: it must not
// panic, must respect the output limit, and whatever it accepts must
// also decode the same with ulikunitz/xz, an independent reader.
func FuzzReadXZ(f *testing.F) {
	for _, data := range [][]byte{{}, []byte("abcabcabcabc"), pseudoRandom(5000, 3), bytes.Repeat([]byte("xyz"), 3000)} {
		var buf bytes.Buffer
		if err := writeXZ(&buf, data, xzOptions{}); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		const max = 1 << 20
		got, err := decodeXZ(t, b, max)
		if err != nil {
			return
		}
		if len(got) > max {
			t.Fatalf("decoded %d bytes past the %d limit", len(got), max)
		}
		// ulikunitz allocates the whole dictionary the header names:
		// cross-check only small ones (a one-filter header without sizes).
		if len(b) < 17 || b[13] != 0 || b[16] > 22 {
			return
		}
		zr, err := xz.ReaderConfig{SingleStream: true}.NewReader(bytes.NewReader(b))
		if err != nil {
			return // ulikunitz refuses some valid streams (e.g. lc+lp > 4 is fine for neither)
		}
		var want bytes.Buffer
		if _, err := want.ReadFrom(zr); err == nil && !bytes.Equal(want.Bytes(), got) {
			t.Fatalf("decoded %d bytes, ulikunitz/xz %d different ones", len(got), want.Len())
		}
	})
}
