package object

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/testutil"
)

// dictOracle inserts ("+key") and removes ("-key") keys of a GVariantDict
// as read from stdin, and at "--" prints the keys of g_variant_dict_end.
const dictOracle = `#include <glib.h>
#include <stdio.h>
#include <string.h>
int main(void) {
  char line[4096];
  GVariantDict d;
  g_variant_dict_init(&d, NULL);
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    if (!strcmp(line, "--")) {
      GVariant *v = g_variant_ref_sink(g_variant_dict_end(&d));
      GVariantIter it; const char *k; GVariant *val;
      g_variant_iter_init(&it, v);
      while (g_variant_iter_next(&it, "{&sv}", &k, &val)) { printf("%s\n", k); g_variant_unref(val); }
      printf("--\n");
      g_variant_unref(v);
      g_variant_dict_init(&d, NULL);
      continue;
    }
    if (line[0] == '+')
      g_variant_dict_insert_value(&d, line + 1, g_variant_new_boolean(TRUE));
    else
      g_variant_dict_remove(&d, line + 1);
  }
  return 0;
}
`

// TestVarDictMatchesGLib checks the GVariantDict model, removals included,
// against GLib.
func TestVarDictMatchesGLib(t *testing.T) {
	cc := testutil.RequiresTool(t, "cc")
	pc := testutil.RequiresTool(t, "pkg-config")
	flags, err := exec.Command(pc, "--cflags", "--libs", "glib-2.0").Output()
	if err != nil {
		testutil.Skip(t, "glib-2.0 development files not found")
	}
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "oracle.c"), filepath.Join(dir, "oracle")
	if err := os.WriteFile(src, []byte(dictOracle), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, append([]string{src, "-o", bin}, strings.Fields(string(flags))...)...).CombinedOutput(); err != nil {
		t.Fatalf("building the GLib oracle: %v\n%s", err, out)
	}

	rng := rand.New(rand.NewSource(1))
	var script strings.Builder
	var cases [][]string
	keys := []string{"ostree.gpgsigs", "ostree.sign.ed25519", "ostree.sign.dummy", "xa.a", "xa.b", "version"}
	for i := 0; i < 200; i++ {
		n := 1 + rng.Intn(40)
		var ops []string
		for j := 0; j < n; j++ {
			var k string
			if rng.Intn(3) == 0 {
				k = keys[rng.Intn(len(keys))]
			} else {
				k = fmt.Sprintf("k%d", rng.Intn(30))
			}
			op := "+"
			if rng.Intn(3) == 0 {
				op = "-"
			}
			ops = append(ops, op+k)
			script.WriteString(op + k + "\n")
		}
		script.WriteString("--\n")
		cases = append(cases, ops)
	}
	cmd := exec.Command(bin)
	cmd.Stdin = strings.NewReader(script.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(strings.TrimSuffix(string(out), "--\n"), "--\n")
	if len(blocks) != len(cases) {
		t.Fatalf("%d oracle results for %d cases", len(blocks), len(cases))
	}
	for i, ops := range cases {
		d := NewVarDict()
		for _, op := range ops {
			if op[0] == '+' {
				d.Insert(op[1:], gvariant.NewVariant("b", true))
			} else {
				d.Remove(op[1:])
			}
		}
		want := strings.Fields(blocks[i])
		if diff := cmp.Diff(want, keysOf(d.End()), cmp.Comparer(func(a, b []string) bool { return strings.Join(a, " ") == strings.Join(b, " ") })); diff != "" {
			t.Fatalf("case %d %v (-glib +ours):\n%s", i, ops, diff)
		}
	}
}

func keysOf(md Metadata) []string {
	var out []string
	for _, e := range md {
		out = append(out, e.Key)
	}
	return out
}
