package bootloader

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeGrubMkconfig writes a generator script that records its arguments
// and the variables libostree passes, then exits with code.
func fakeGrubMkconfig(t *testing.T, code int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake-grub-mkconfig")
	script := `#!/bin/sh
[ "$1" = -o ] || exit 9
printf 'bootversion=%s efi=%s\n' "$_OSTREE_GRUB2_BOOTVERSION" "${_OSTREE_GRUB2_IS_EFI-unset}" > "$2"
exit ` + strconv.Itoa(code) + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGrub2WriteConfig(t *testing.T) {
	ctx := context.Background()
	entries := loadEntries(t, "testdata/grub2/two")

	t.Run("bios", func(t *testing.T) {
		root := t.TempDir()
		mkfiles(t, root, "boot/loader.1/", "boot/grub2/grub.cfg -> ../loader/grub.cfg")
		t.Setenv("OSTREE_GRUB2_EXEC", fakeGrubMkconfig(t, 0))
		t.Setenv("_OSTREE_GRUB2_IS_EFI", "")
		os.Unsetenv("_OSTREE_GRUB2_IS_EFI")
		b, ok, err := probeGrub2(root)
		if err != nil || !ok || !b.IsAtomic() {
			t.Fatalf("probe: %v %v %v", b, ok, err)
		}
		if err := b.WriteConfig(ctx, root, 1, entries); err != nil {
			t.Fatal(err)
		}
		got, _ := readOptional(t, filepath.Join(root, "boot/loader.1/grub.cfg"))
		if got != "bootversion=1 efi=unset\n" {
			t.Errorf("generator saw %q", got)
		}
	})

	t.Run("efi", func(t *testing.T) {
		root := t.TempDir()
		mkfiles(t, root, "boot/efi/EFI/debian/grub.cfg.new")
		cfg := filepath.Join(root, "boot/efi/EFI/debian/grub.cfg")
		if err := os.WriteFile(cfg, []byte("previous\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("OSTREE_GRUB2_EXEC", fakeGrubMkconfig(t, 0))
		b, ok, err := probeGrub2(root)
		if err != nil || !ok || b.IsAtomic() {
			t.Fatalf("probe: %v %v %v", b, ok, err)
		}
		if err := b.WriteConfig(ctx, root, 0, entries); err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]string{"grub.cfg": "bootversion=0 efi=1\n", "grub.cfg.old": "previous\n"} {
			if got, _ := readOptional(t, filepath.Join(filepath.Dir(cfg), name)); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		if _, ok := readOptional(t, cfg+".new"); ok {
			t.Errorf("grub.cfg.new left behind")
		}
	})

	t.Run("failing generator", func(t *testing.T) {
		root := t.TempDir()
		mkfiles(t, root, "boot/loader.1/")
		exe := fakeGrubMkconfig(t, 3)
		t.Setenv("OSTREE_GRUB2_EXEC", exe)
		err := (&grub2{}).WriteConfig(ctx, root, 1, entries)
		if want := exe + ": Child process exited with code 3"; err == nil || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
	})

	t.Run("missing generator", func(t *testing.T) {
		root := t.TempDir()
		exe := filepath.Join(root, "no-such-generator")
		t.Setenv("OSTREE_GRUB2_EXEC", exe)
		err := (&grub2{}).WriteConfig(ctx, root, 1, entries)
		if want := "Failed to execute child process “" + exe + "” (no such file or directory)"; err == nil || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
	})

	t.Run("generator writes nothing", func(t *testing.T) {
		root := t.TempDir()
		t.Setenv("OSTREE_GRUB2_EXEC", "true")
		err := (&grub2{}).WriteConfig(ctx, root, 1, entries)
		if err == nil || !strings.HasPrefix(err.Error(), "openat("+filepath.Join(root, "boot/loader.1/grub.cfg")+")") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":           "''",
		"plain":      "'plain'",
		"it's":       `'it'\''s'`,
		"a b\"$c":    `'a b"$c'`,
		"''":         `''\'''\'''`,
		"(ostree:0)": "'(ostree:0)'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
