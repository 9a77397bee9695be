package gvariant

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os/exec"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/testutil"
)

// randType builds a random type of bounded depth.
func randType(r *rand.Rand, depth int) string {
	basics := "bynqiuxtdsog"
	if depth > 3 {
		return string(basics[r.Intn(len(basics))])
	}
	switch r.Intn(10) {
	case 0, 1, 2:
		return string(basics[r.Intn(len(basics))])
	case 3:
		return "v"
	case 4, 5:
		return "a" + randType(r, depth+1)
	case 6:
		return "m" + randType(r, depth+1)
	case 7:
		return "a{" + string("sytu"[r.Intn(4)]) + randType(r, depth+1) + "}"
	default:
		n := r.Intn(4)
		s := "("
		for i := 0; i < n; i++ {
			s += randType(r, depth+1)
		}
		return s + ")"
	}
}

func randValue(r *rand.Rand, t *Type, depth int) any {
	switch t.Kind {
	case 'b':
		return r.Intn(2) == 1
	case 'y':
		return byte(r.Intn(256))
	case 'n':
		return int16(r.Intn(65536) - 32768)
	case 'q':
		return uint16(r.Intn(65536))
	case 'i':
		return int32(r.Uint32())
	case 'u', 'h':
		return r.Uint32()
	case 'x':
		return int64(r.Uint64())
	case 't':
		return r.Uint64()
	case 'd':
		return float64(r.Intn(1000)) / 8
	case 's':
		return strings.Repeat("ab", r.Intn(3)) + []string{"", "é", "x"}[r.Intn(3)]
	case 'o':
		return "/a/b"
	case 'g':
		return "a{sv}"
	case 'v':
		ct := MustType(randType(r, depth+2))
		return Variant{Type: ct, Value: randValue(r, ct, depth+1)}
	case 'm':
		if r.Intn(3) == 0 {
			return Maybe{}
		}
		return Maybe{Valid: true, Value: randValue(r, t.Elem, depth+1)}
	case 'a':
		n := r.Intn(4)
		if r.Intn(8) == 0 {
			n = 100 + r.Intn(200) // force wider offsets
		}
		if t.Elem.Kind == 'y' {
			b := make([]byte, n)
			r.Read(b)
			return b
		}
		out := make([]any, n)
		for i := range out {
			out[i] = randValue(r, t.Elem, depth+1)
		}
		return out
	case '(':
		out := make([]any, len(t.Fields))
		for i, f := range t.Fields {
			out[i] = randValue(r, f, depth+1)
		}
		return out
	case '{':
		return DictEntry{randValue(r, t.Fields[0], depth+1), randValue(r, t.Fields[1], depth+1)}
	}
	panic("unreachable")
}

// TestGLibOracle checks that GLib accepts every serialization we write as
// normal form and that its own normal form of the value equals ours.
func TestGLibOracle(t *testing.T) {
	py := testutil.GLibPython(t)
	r := rand.New(rand.NewSource(1))
	var lines []string
	for i := 0; i < 400; i++ {
		ty := MustType(randType(r, 0))
		v := randValue(r, ty, 0)
		b, err := Marshal(ty, v)
		if err != nil {
			t.Fatalf("marshal %s: %v", ty, err)
		}
		if _, err := Unmarshal(ty, b); err != nil {
			t.Fatalf("our reader rejects our %s %x: %v", ty, b, err)
		}
		lines = append(lines, fmt.Sprintf("%s %s", ty, hex.EncodeToString(b)))
	}
	script := `
import sys
from gi.repository import GLib
for n, line in enumerate(sys.stdin):
    parts = line.split()
    typ, data = parts[0], bytes.fromhex(parts[1] if len(parts) > 1 else "")
    v = GLib.Variant.new_from_bytes(GLib.VariantType.new(typ), GLib.Bytes.new(data), False)
    ok = v.is_normal_form()
    norm = v.get_normal_form().get_data_as_bytes().get_data() or b""
    print(n, "ok" if ok and norm == data else "BAD " + typ + " " + norm.hex())
`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	n := 0
	for _, l := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		n++
		if !bytes.HasSuffix(l, []byte(" ok")) {
			t.Errorf("GLib disagrees: %s (input %s)", l, lines[n-1])
		}
	}
	if n != len(lines) {
		t.Fatalf("GLib answered %d of %d", n, len(lines))
	}
}
