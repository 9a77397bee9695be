package repo

import (
	"bytes"
	"compress/flate"
	"encoding/hex"
	"io"
	"math/rand"
	"os/exec"
	"strings"
	"testing"
)

// TestDeflateTiny checks the small-payload encoder: every output inflates
// back, and for inputs without repeats it is byte-identical to zlib's.
func TestDeflateTiny(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	inputs := [][]byte{{}, []byte("contents\n"), []byte("a library\n"), []byte("another library\n"), {0xff, 0x90, 0x00}}
	for i := 0; i < 200; i++ {
		b := make([]byte, rng.Intn(tinyPayload))
		rng.Read(b)
		inputs = append(inputs, b)
	}
	for _, in := range inputs {
		out := appendDeflateTiny(nil, in)
		got, err := io.ReadAll(flate.NewReader(bytes.NewReader(out)))
		if err != nil || !bytes.Equal(got, in) {
			t.Fatalf("%x: inflated to %x, %v", in, got, err)
		}
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	var script strings.Builder
	script.WriteString("import zlib, sys\n")
	for _, in := range inputs[:5] {
		script.WriteString("c = zlib.compressobj(6, zlib.DEFLATED, -15); print((c.compress(bytes.fromhex('" + hex.EncodeToString(in) + "')) + c.flush()).hex())\n")
	}
	out, err := exec.Command(py, "-c", script.String()).Output()
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range strings.Fields(string(out)) {
		if got := hex.EncodeToString(appendDeflateTiny(nil, inputs[i])); got != want {
			t.Errorf("%q: got %s, zlib %s", inputs[i], got, want)
		}
	}
}
