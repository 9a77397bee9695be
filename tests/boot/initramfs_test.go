package boot

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The initramfs holds /init, busybox, the modules in load order, the
// prepare-root binary where /init calls it, and any extra files.
func TestInitramfsContents(t *testing.T) {
	k := sharedKit(t)
	ctx := context.Background()
	dir := t.TempDir()
	extra := filepath.Join(dir, "extra.so")
	if err := os.WriteFile(extra, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "initramfs.img")
	o := InitramfsOptions{Kernel: k.Kernel, PrepareRoot: k.Bin.PrepareRoot, PrepareRootPath: "/usr/lib/ostree/ostree-prepare-root",
		Files: map[string]string{"/lib/x86_64-linux-gnu/extra.so": extra}}
	if err := BuildInitramfs(ctx, o, out); err != nil {
		t.Fatal(err)
	}
	list, err := run(ctx, "", "sh", "-c", `gzip -dc "$1" | cpio -t --quiet`, "list", out)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, l := range strings.Fields(list) {
		have[l] = true
	}
	want := []string{"init", "bin/busybox", "usr/lib/ostree/ostree-prepare-root", "lib/x86_64-linux-gnu/extra.so"}
	for _, m := range Modules {
		want = append(want, "lib/modules/"+m+".ko")
	}
	var missing []string
	for _, w := range want {
		if !have[w] {
			missing = append(missing, w)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("initramfs lacks %v; it has:\n%s", missing, list)
	}
	init, err := run(ctx, "", "sh", "-c", `gzip -dc "$1" | cpio -i --quiet --to-stdout init`, "init", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(init, `PREPARE_ROOT="/usr/lib/ostree/ostree-prepare-root"`) || !strings.Contains(init, `MODULES="`+strings.Join(Modules, " ")+`"`) {
		t.Errorf("/init does not call the given prepare-root or load the modules in order:\n%s", init)
	}
}
