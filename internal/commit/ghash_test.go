package commit

import (
	"fmt"
	"math/rand"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/testutil"
)

// TestGHashOrderOracle checks the GHashTable model against GLib: keys
// inserted into a GVariantDict come out of g_variant_dict_end in the same
// order.
func TestGHashOrderOracle(t *testing.T) {
	py := testutil.GLibPython(t)
	rng := rand.New(rand.NewSource(1))
	var cases [][]string
	cases = append(cases,
		[]string{"version", "ostree.ref-binding", "ostree.bootable", "ostree.linux"},
		[]string{"a", "a", "b"},
		[]string{"ostree.collection-binding", "ostree.ref-binding", "FOO", "KITTENS", "SOMENUM", "ostree.bootable", "ostree.linux"},
		[]string{"\xc3\xa9t\xc3\xa9", "z\xc3\xbf"},
	)
	for n := 1; n <= 40; n++ {
		var keys []string
		for i := 0; i < n; i++ {
			keys = append(keys, fmt.Sprintf("key-%d-%x", i, rng.Int63()))
		}
		cases = append(cases, keys)
	}
	var script strings.Builder
	script.WriteString("from gi.repository import GLib\nimport sys\n")
	for _, keys := range cases {
		script.WriteString("d = GLib.VariantDict.new(None)\n")
		for _, k := range keys {
			fmt.Fprintf(&script, "d.insert_value(bytes.fromhex(%q).decode('utf-8', 'surrogateescape'), GLib.Variant('b', True))\n", fmt.Sprintf("%x", k))
		}
		script.WriteString("sys.stdout.buffer.write(b'\\x01'.join(k.encode('utf-8', 'surrogateescape') for k in d.end().keys()) + b'\\n')\n")
	}
	cmd := exec.Command(py, "-c", script.String())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("got %d results for %d cases", len(lines), len(cases))
	}
	for i, keys := range cases {
		want := strings.Split(lines[i], "\x01")
		if diff := cmp.Diff(want, gHashOrder(keys)); diff != "" {
			t.Errorf("case %d (%d keys) (-glib +ours):\n%s", i, len(keys), diff)
		}
	}
}
