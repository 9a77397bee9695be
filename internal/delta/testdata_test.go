package delta

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/gostree/gostree/internal/object"
)

// fixture is one delta of testdata/deltas.
type fixture struct {
	name       string
	superblock []byte
	parts      [][]byte // part files; nil entries for inline parts
}

func loadFixtures(t testing.TB) []fixture {
	t.Helper()
	dirs, err := filepath.Glob("testdata/deltas/*/superblock")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	var out []fixture
	for _, sbPath := range dirs {
		dir := filepath.Dir(sbPath)
		f := fixture{name: filepath.Base(dir)}
		if f.superblock, err = os.ReadFile(sbPath); err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			b, err := os.ReadFile(filepath.Join(dir, strconv.Itoa(i)))
			if err != nil {
				break
			}
			f.parts = append(f.parts, b)
		}
		out = append(out, f)
	}
	return out
}

func TestFixtures(t *testing.T) {
	for _, f := range loadFixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			sb, err := UnmarshalSuperblock(f.superblock)
			if err != nil {
				t.Fatal(err)
			}
			again, err := sb.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, f.superblock) {
				t.Fatal("superblock does not round-trip")
			}
			wantEndian := EndianLittle
			if f.name == "swapped" {
				wantEndian = EndianBig
			}
			if sb.Endianness != wantEndian {
				t.Errorf("endianness %v, want %v", sb.Endianness, wantEndian)
			}
			var stats OpStats
			for i, h := range sb.Parts {
				file, inline := sb.InlinePart(i)
				if !inline {
					file = f.parts[i]
					if uint64(len(file)) != h.Size {
						t.Errorf("part %d: size %d, header says %d", i, len(file), h.Size)
					}
				}
				opts := OpenOptions{MaxPayload: PayloadLimit(h.USize)}
				if !inline {
					opts.Expected = &h.Checksum
				}
				p, err := OpenPart(bytes.NewReader(file), opts)
				if err != nil {
					t.Fatalf("part %d: %v", i, err)
				}
				if got := p.Payload.Marshal(); !bytes.Equal(got, payloadBytes(t, file)) {
					t.Errorf("part %d payload does not round-trip", i)
				}
				n, err := CountOps(h.Objects, p.Payload)
				if err != nil {
					t.Fatalf("part %d ops: %v", i, err)
				}
				for k := range n {
					stats[k] += n[k]
				}
				p.Close()
			}
			switch f.name {
			case "bsdiff":
				if stats[6] == 0 || stats[3] == 0 {
					t.Errorf("bsdiff fixture has no bspatch ops: %v", stats)
				}
			case "scratch":
				if stats[0] == 0 || stats[1]+stats[2]+stats[6] != 0 {
					t.Errorf("scratch ops %v", stats)
				}
			}
		})
	}
}

// payloadBytes decompresses a part file.
func payloadBytes(t testing.TB, file []byte) []byte {
	t.Helper()
	p, err := OpenPart(bytes.NewReader(file), OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	return p.Payload.Marshal()
}

func TestPartRoundTrip(t *testing.T) {
	want := &Payload{
		Modes:  []Mode{{0, 0, 0o100644}, {1000, 1000, 0o120777}},
		Xattrs: []object.Xattrs{nil, {{Name: "user.a", Value: []byte("b")}}},
		Blob:   bytes.Repeat([]byte("blob"), 100),
		Ops:    AppendOp(nil, OpOpenSpliceAndClose, 1, 2),
	}
	for _, comp := range []byte{CompressionNone, CompressionXZ} {
		var file bytes.Buffer
		if err := WritePart(&file, comp, want.Marshal()); err != nil {
			t.Fatal(err)
		}
		sum := object.Sum(file.Bytes())
		p, err := OpenPart(bytes.NewReader(file.Bytes()), OpenOptions{Expected: &sum, MaxFileSize: int64(file.Len()), TmpDir: t.TempDir()})
		if err != nil {
			t.Fatalf("comp %d: %v", comp, err)
		}
		if diff := cmp.Diff(want, p.Payload, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("comp %d: (-want +got)\n%s", comp, diff)
		}
		p.Close()
		var bad object.Checksum
		if _, err := OpenPart(bytes.NewReader(file.Bytes()), OpenOptions{Expected: &bad}); err == nil || !strings.Contains(err.Error(), "Checksum mismatch in static delta part") {
			t.Errorf("comp %d: wrong checksum accepted: %v", comp, err)
		}
		if _, err := OpenPart(bytes.NewReader(file.Bytes()), OpenOptions{Expected: &sum, MaxFileSize: int64(file.Len() - 1)}); err == nil {
			t.Errorf("comp %d: oversized part accepted", comp)
		}
	}
}

// TestPartBufferReuse: an xz payload is decoded into the storage given
// as OpenOptions.Buf when it is large enough, and Buffer hands it back.
func TestPartBufferReuse(t *testing.T) {
	want := &Payload{Blob: bytes.Repeat([]byte("blob"), 1000), Ops: AppendOp(nil, OpOpenSpliceAndClose, 1, 2)}
	var file bytes.Buffer
	if err := WritePart(&file, CompressionXZ, want.Marshal()); err != nil {
		t.Fatal(err)
	}
	storage := make([]byte, 10, 1<<20)
	p, err := OpenPart(bytes.NewReader(file.Bytes()), OpenOptions{Buf: storage})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Payload.Blob, want.Blob) {
		t.Fatal("payload differs")
	}
	b := p.Buffer()
	if len(b) == 0 || &b[0] != &storage[:1][0] {
		t.Fatal("the payload was not decoded into the given storage")
	}
	if p.Payload != nil {
		t.Error("Buffer left the payload in place")
	}
	// Too small a buffer is not used.
	p, err = OpenPart(bytes.NewReader(file.Bytes()), OpenOptions{Buf: make([]byte, 0, 16), SizeHint: 4000})
	if err != nil || !bytes.Equal(p.Payload.Blob, want.Blob) {
		t.Fatalf("with a small buffer: %v", err)
	}
}
