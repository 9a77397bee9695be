package bootloader

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goldenCases lists the case directories under testdata/<backend>.
func goldenCases(t *testing.T, backend string) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", backend, "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases for %s: %v", backend, err)
	}
	return dirs
}

// loadEntries reads dir/entries/*.conf, highest version first, as
// libostree hands them to the backends.
func loadEntries(t *testing.T, dir string) []*Config {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "entries", "*.conf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no entries in %s: %v", dir, err)
	}
	var out []*Config
	for _, f := range files {
		c, err := LoadConfig(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	version := func(c *Config) int {
		v, err := strconv.Atoi(c.Value("version"))
		if err != nil {
			t.Fatalf("entry without a numeric version: %q", c.Value("version"))
		}
		return v
	}
	sort.Slice(out, func(i, j int) bool { return version(out[i]) > version(out[j]) })
	return out
}

// readOptional returns the file's text and whether it exists.
func readOptional(t *testing.T, path string) (string, bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

func TestSyslinuxGolden(t *testing.T) {
	for _, dir := range goldenCases(t, "syslinux") {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			old, _ := readOptional(t, filepath.Join(dir, "old.cfg"))
			got, err := syslinuxConfig(old, loadEntries(t, dir))
			if wantErr, ok := readOptional(t, filepath.Join(dir, "want.err")); ok {
				if err == nil || err.Error() != strings.TrimSpace(wantErr) {
					t.Fatalf("error = %v, want %q", err, strings.TrimSpace(wantErr))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _ := readOptional(t, filepath.Join(dir, "want.cfg"))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("syslinux.cfg (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUbootGolden(t *testing.T) {
	for _, dir := range goldenCases(t, "uboot") {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			entries := loadEntries(t, dir)
			wantArg, _ := ParseKernelArgs(entries[0].Value("options")).LastValue("ostree")
			system, hasSystem := readOptional(t, filepath.Join(dir, "system-uEnv.txt"))
			got, err := ubootConfig(entries, func(arg string) (string, bool, error) {
				if arg != wantArg {
					t.Errorf("system uEnv.txt looked up for %q, want the default entry's %q", arg, wantArg)
				}
				return system, hasSystem, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want, _ := readOptional(t, filepath.Join(dir, "want.txt"))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("uEnv.txt (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGrub2MenuGolden(t *testing.T) {
	for _, dir := range goldenCases(t, "grub2") {
		for _, efi := range []bool{false, true} {
			t.Run(filepath.Base(dir)+map[bool]string{false: "", true: "-efi"}[efi], func(t *testing.T) {
				var b strings.Builder
				opts := Grub2MenuOptions{DeviceID: "dev'1", PrepareRootCache: "set root='hd0,msdos1'", EFI: efi}
				if err := Grub2Menu(&b, loadEntries(t, dir), opts); err != nil {
					t.Fatal(err)
				}
				want, _ := readOptional(t, filepath.Join(dir, "want.txt"))
				if diff := cmp.Diff(want, b.String()); diff != "" {
					t.Errorf("menu (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// FuzzSyslinuxConfig checks that any old config either fails or merges
// into one that holds the entry and that we can merge into again; the
// second pass is a fixed point (the first may still drop a foreign
// DEFAULT, which makes the second add ours).
func FuzzSyslinuxConfig(f *testing.F) {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "syslinux", "*"))
	for _, dir := range dirs {
		if b, err := os.ReadFile(filepath.Join(dir, "old.cfg")); err == nil {
			f.Add(string(b))
		}
	}
	entry := ParseConfig([]byte("title TestOS (ostree:0)\nversion 1\noptions ostree=/ostree/boot.1/testos/abc/0\nlinux /ostree/testos-abc/vmlinuz\ninitrd /ostree/testos-abc/initramfs.img\n"))
	entries := []*Config{entry}
	f.Fuzz(func(t *testing.T, old string) {
		once, err := syslinuxConfig(old, entries)
		if err != nil {
			return
		}
		if !strings.Contains(once, "LABEL TestOS (ostree:0)\n\tKERNEL /boot/ostree/testos-abc/vmlinuz\n") {
			t.Fatalf("entry missing from %q", once)
		}
		twice, err := syslinuxConfig(once, entries)
		if err != nil {
			t.Fatalf("our own output does not parse: %v\n%q", err, once)
		}
		thrice, err := syslinuxConfig(twice, entries)
		if err != nil {
			t.Fatal(err)
		}
		if twice != thrice {
			t.Fatalf("not stable:\n%q\n%q", twice, thrice)
		}
	})
}
