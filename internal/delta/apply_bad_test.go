package delta

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/traverse"
)

// copyDelta copies a delta directory to a scratch place.
func copyDelta(t *testing.T, from string) string {
	t.Helper()
	dir := t.TempDir()
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// rewriteDelta edits the superblock of the delta in dir, and with part
// set the payload of part 0, whose file and header it then updates.
func rewriteDelta(t *testing.T, dir string, sbEdit func(*Superblock), part func(*Payload, []object.Name)) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "superblock"))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := UnmarshalSuperblock(raw)
	if err != nil {
		t.Fatal(err)
	}
	if part != nil {
		pf := filepath.Join(dir, "0")
		b, err := os.ReadFile(pf)
		if err != nil {
			t.Fatal(err)
		}
		p, err := OpenPart(bytes.NewReader(b), OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		part(p.Payload, sb.Parts[0].Objects)
		var file bytes.Buffer
		if err := WritePart(&file, CompressionXZ, p.Payload.Marshal()); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pf, file.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		sb.Parts[0].Checksum = object.Sum(file.Bytes())
		sb.Parts[0].Size = uint64(file.Len())
	}
	if sbEdit != nil {
		sbEdit(sb)
	}
	out, err := sb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "superblock"), out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// firstOp returns the offset of the first operation want of a part
// creating objs, and its varint arguments.
func firstOp(t *testing.T, p *Payload, objs []object.Name, want Opcode) (int, []uint64) {
	t.Helper()
	next := 0
	for i := 0; i < len(p.Ops); {
		op := Opcode(p.Ops[i])
		at := i
		i++
		n := map[Opcode]int{OpOpen: 3, OpWrite: 2, OpSetReadSource: 1, OpBspatch: 2}[op]
		switch op {
		case OpOpenSpliceAndClose:
			n = 4
			if objs[next].Type.IsMeta() {
				n = 2
			}
			next++
		case OpClose:
			next++
		}
		var args []uint64
		for k := 0; k < n; k++ {
			v, m, err := readVarint(p.Ops[i:])
			if err != nil {
				t.Fatal(err)
			}
			args = append(args, v)
			i += m
		}
		if op == want {
			return at, args
		}
	}
	t.Fatalf("no %c operation", want)
	return 0, nil
}

func TestApplyBadDeltas(t *testing.T) {
	ctx := context.Background()
	src, from, to := refTwoCommits(t, "archive")
	ostreeRef(t, src, "static-delta", "generate", "--from="+from, "--to="+to, "--max-bsdiff-size=10")
	ostreeRef(t, src, "static-delta", "generate", "--empty", "--to="+to)
	pairDir := filepath.Join(src, ID{From: mustParse(t, from), To: mustParse(t, to)}.Dir())
	scratchDir := filepath.Join(src, ID{To: mustParse(t, to)}.Dir())

	cases := []struct {
		name    string
		scratch bool
		edit    func(t *testing.T, dir string)
		want    string
	}{
		{"truncated superblock", true, func(t *testing.T, dir string) {
			p := filepath.Join(dir, "superblock")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-7], 0o644)
		}, "delta superblock"},
		{"part checksum", true, func(t *testing.T, dir string) {
			p := filepath.Join(dir, "0")
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 0xff
			os.WriteFile(p, b, 0o644)
		}, "Checksum mismatch in static delta part"},
		{"part larger than its header says", true, func(t *testing.T, dir string) {
			rewriteDelta(t, dir, func(sb *Superblock) { sb.Parts[0].Size -= 10 }, nil)
		}, "larger than its header"},
		{"missing part", true, func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "0"))
		}, "no such file"},
		{"unknown compression", true, func(t *testing.T, dir string) {
			p := filepath.Join(dir, "0")
			b, _ := os.ReadFile(p)
			b[0] = 'g'
			os.WriteFile(p, b, 0o644)
			rewriteDelta(t, dir, func(sb *Superblock) { sb.Parts[0].Checksum = object.Sum(b) }, nil)
		}, "Invalid compression type"},
		{"unknown opcode", true, func(t *testing.T, dir string) {
			rewriteDelta(t, dir, nil, func(p *Payload, objs []object.Name) { p.Ops = append([]byte{'Z'}, p.Ops...) })
		}, "Unknown opcode"},
		{"offset out of range", true, func(t *testing.T, dir string) {
			rewriteDelta(t, dir, nil, func(p *Payload, objs []object.Name) {
				p.Ops = AppendOp(nil, OpOpenSpliceAndClose, 10, uint64(len(p.Blob)))
			})
		}, "Invalid offset/length"},
		{"offset overflow", true, func(t *testing.T, dir string) {
			rewriteDelta(t, dir, nil, func(p *Payload, objs []object.Name) {
				p.Ops = AppendOp(nil, OpOpenSpliceAndClose, 1<<63, 1<<63)
			})
		}, "Invalid offset/length"},
		{"truncated varint", true, func(t *testing.T, dir string) {
			rewriteDelta(t, dir, nil, func(p *Payload, objs []object.Name) { p.Ops = []byte{'S', 0x80} })
		}, "Unexpected EOF reading varint"},
		{"mode index out of range", true, func(t *testing.T, dir string) {
			rewriteDelta(t, dir, func(sb *Superblock) {
				// A part creating one content object, from a bad mode.
				for i, o := range sb.Parts[0].Objects {
					if o.Type == object.TypeFile {
						sb.Parts[0].Objects = sb.Parts[0].Objects[i : i+1]
						break
					}
				}
			}, func(p *Payload, objs []object.Name) { p.Ops = AppendOp(nil, OpOpenSpliceAndClose, 99, 0, 1, 0) })
		}, "out of range"},
		{"wrong object data", true, func(t *testing.T, dir string) {
			rewriteDelta(t, dir, nil, func(p *Payload, objs []object.Name) {
				// The blob is mostly file data: damage it in the middle.
				p.Blob[len(p.Blob)/2] ^= 1
			})
		}, "checksum"},
		{"fewer objects than listed", true, func(t *testing.T, dir string) {
			rewriteDelta(t, dir, nil, func(p *Payload, objs []object.Name) {
				at, _ := firstOp(t, p, objs, OpOpenSpliceAndClose)
				p.Ops = p.Ops[:at]
			})
		}, "created 0 of its"},
		{"bad bsdiff offsets", false, func(t *testing.T, dir string) {
			rewriteDelta(t, dir, nil, func(p *Payload, objs []object.Name) {
				_, args := firstOp(t, p, objs, OpBspatch)
				// Make the patch's first control block ask for more
				// new bytes than the object has.
				ctl := p.Blob[args[0] : args[0]+24]
				copy(ctl, ctrl(1<<40, 0, 0))
			})
		}, "bsdiff patch failed"},
		{"bspatch without read source", false, func(t *testing.T, dir string) {
			rewriteDelta(t, dir, nil, func(p *Payload, objs []object.Name) {
				at, _ := firstOp(t, p, objs, OpSetReadSource)
				// Replace set-read-source's varint offset by an offset
				// past the blob.
				_, n, _ := readVarint(p.Ops[at+1:])
				p.Ops = append(append(append([]byte{}, p.Ops[:at+1]...), AppendVarint(nil, uint64(len(p.Blob)))...), p.Ops[at+1+n:]...)
			})
		}, "Invalid offset/length"},
		{"fallback offline", true, func(t *testing.T, dir string) {
			rewriteDelta(t, dir, func(sb *Superblock) {
				sb.Fallbacks = append(sb.Fallbacks, Fallback{Type: object.TypeFile, Size: 1, USize: 1})
			}, nil)
		}, "contains nonempty http fallback entries"},
		{"embedded commit does not match", true, func(t *testing.T, dir string) {
			p := filepath.Join(dir, "superblock")
			b, _ := os.ReadFile(p)
			sb, _ := UnmarshalSuperblock(b)
			sb.To[0] ^= 1
			out, err := sb.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(p, out, 0o644)
		}, "embedded commit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDelta(t, pairDir)
			if tc.scratch {
				dir = copyDelta(t, scratchDir)
			}
			tc.edit(t, dir)
			dst := traverse.TestRepo(t, repo.ModeBareUser)
			if !tc.scratch {
				ostreeRef(t, dst.Path(), "pull-local", src, from)
			}
			before := traverse.TestAllObjects(t, dst)
			err := applyDir(t, dst.Path(), dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			after := traverse.TestAllObjects(t, dst)
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("objects changed (-before +after):\n%s", diff)
			}
			ents, _ := os.ReadDir(filepath.Join(dst.Path(), "tmp"))
			for _, e := range ents {
				if e.Name() != "cache" {
					t.Errorf("left in tmp/: %s", e.Name())
				}
			}
			ostreeRef(t, dst.Path(), "fsck")
			_ = ctx
		})
	}
}

func TestOpenPartLimits(t *testing.T) {
	zeros := make([]byte, 8<<20)
	var file bytes.Buffer
	if err := WritePart(&file, CompressionXZ, zeros); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenPart(bytes.NewReader(file.Bytes()), OpenOptions{MaxPayload: 1 << 20}); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("decompression bomb: %v", err)
	}
	// An xz block asking for a 1.5 GiB dictionary is refused before
	// anything is allocated.
	b := bytes.Clone(file.Bytes())
	hdr := b[1+12:]
	hdrLen := (int(hdr[0]) + 1) * 4
	for i := 2; i < hdrLen-4; i++ {
		if hdr[i] == 0x21 && hdr[i+1] == 1 {
			hdr[i+2] = 37
		}
	}
	putCRC(hdr[:hdrLen])
	if _, err := OpenPart(bytes.NewReader(b), OpenOptions{}); err == nil || !strings.Contains(err.Error(), "dictionary") {
		t.Errorf("huge dictionary: %v", err)
	}
	if _, err := OpenPart(bytes.NewReader([]byte{'x', 1, 2, 3}), OpenOptions{}); err == nil {
		t.Error("garbage xz accepted")
	}
	if _, err := OpenPart(bytes.NewReader(nil), OpenOptions{}); err == nil {
		t.Error("empty part accepted")
	}
}
