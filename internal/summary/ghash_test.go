package summary

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

// dictOracle is a C program that inserts the keys read from stdin (one a
// line) into a GVariantDict and prints the keys of g_variant_dict_end.
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
    g_variant_dict_insert_value(&d, line, g_variant_new_boolean(TRUE));
  }
  return 0;
}
`

func buildDictOracle(t *testing.T) string {
	t.Helper()
	cc := testutil.RequiresTool(t, "cc")
	pc := testutil.RequiresTool(t, "pkg-config")
	flags, err := exec.Command(pc, "--cflags", "--libs", "glib-2.0").Output()
	if err != nil {
		testutil.Skip(t, "glib-2.0 development files not found")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "oracle.c")
	bin := filepath.Join(dir, "oracle")
	if err := os.WriteFile(src, []byte(dictOracle), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{src, "-o", bin}, strings.Fields(string(flags))...)
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("building the GLib oracle: %v\n%s", err, out)
	}
	return bin
}

func dictOrder(keys []string) []string {
	d := newVarDict()
	for _, k := range keys {
		d.insert(k, gvariant.NewVariant("b", true))
	}
	var out []string
	for _, e := range d.end() {
		out = append(out, e.Key)
	}
	return out
}

// TestVarDictOrderMatchesGLib checks the GHashTable emulation against
// GLib itself, through growth, collisions and repeated keys.
func TestVarDictOrderMatchesGLib(t *testing.T) {
	oracle := buildDictOracle(t)
	rng := rand.New(rand.NewSource(1))
	words := []string{"ostree.summary.mode", "ostree.summary.last-modified", "ostree.static-deltas",
		"ostree.summary.indexed-deltas", "ostree.summary.tombstone-commits", "ostree.summary.collection-id",
		"ostree.summary.collection-map", "ostree.commit.timestamp", "ostree.commit.version", "key", "key2",
		"map", "some-int", "ostree.ref-binding", "ostree.collection-binding", "é", "ключ"}
	var cases [][]string
	for n := 0; n < 300; n++ {
		var keys []string
		size := rng.Intn(70)
		for i := 0; i < size; i++ {
			if rng.Intn(3) == 0 {
				keys = append(keys, words[rng.Intn(len(words))])
			} else {
				keys = append(keys, fmt.Sprintf("k%d.%x", rng.Intn(40), rng.Intn(1<<20)))
			}
		}
		cases = append(cases, keys)
	}
	var in strings.Builder
	for _, keys := range cases {
		for _, k := range keys {
			in.WriteString(k + "\n")
		}
		in.WriteString("--\n")
	}
	cmd := exec.Command(oracle)
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	results := strings.Split(strings.TrimSuffix(string(out), "--\n"), "--\n")
	if len(results) != len(cases) {
		t.Fatalf("oracle gave %d results for %d cases", len(results), len(cases))
	}
	for i, keys := range cases {
		var want []string
		if results[i] != "" {
			want = strings.Split(strings.TrimSuffix(results[i], "\n"), "\n")
		}
		if diff := cmp.Diff(want, dictOrder(keys)); diff != "" {
			t.Fatalf("case %d (%d keys): order differs (-glib +ours):\n%s", i, len(keys), diff)
		}
	}
}
