package bootloader

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mkfiles creates the files (ending in "/": directories; "->": symlinks)
// under root.
func mkfiles(t *testing.T, root string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		target := ""
		if i := strings.Index(p, " -> "); i >= 0 {
			p, target = p[:i], p[i+4:]
		}
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case target != "":
			err = os.Symlink(target, full)
		case strings.HasSuffix(p, "/"):
			err = os.MkdirAll(full, 0o755)
		default:
			err = os.WriteFile(full, nil, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestQuery(t *testing.T) {
	for _, tc := range []struct {
		name       string
		files      []string
		configured string
		want       string // backend name, "" for none
		wantEFI    bool
		wantErr    string
	}{
		{name: "nothing", configured: "auto"},
		{name: "syslinux link", files: []string{"boot/syslinux/syslinux.cfg -> ../loader/syslinux.cfg"}, configured: "auto", want: "syslinux"},
		{name: "grub2 dangling link", files: []string{"boot/grub2/grub.cfg -> ../loader/grub.cfg"}, configured: "auto", want: "grub2"},
		{name: "grub debian", files: []string{"boot/grub/grub.cfg"}, configured: "auto", want: "grub2"},
		{name: "uboot", files: []string{"boot/loader/uEnv.txt"}, configured: "auto", want: "uboot"},
		{name: "syslinux before grub2", files: []string{"boot/grub2/grub.cfg", "boot/syslinux/syslinux.cfg", "boot/loader/uEnv.txt"}, configured: "auto", want: "syslinux"},
		{name: "grub2 before uboot", files: []string{"boot/grub2/grub.cfg", "boot/loader/uEnv.txt"}, configured: "auto", want: "grub2"},
		{name: "efi", files: []string{"boot/efi/EFI/BOOT/grub.cfg", "boot/efi/EFI/fedora/grub.cfg"}, configured: "auto", want: "grub2", wantEFI: true},
		{name: "efi BOOT only", files: []string{"boot/efi/EFI/BOOT/grub.cfg", "boot/efi/EFI/empty/"}, configured: "auto"},
		{name: "efi dir link ignored", files: []string{"boot/efi/real/grub.cfg", "boot/efi/EFI/fedora -> ../real"}, configured: "auto"},
		{name: "none ignores files", files: []string{"boot/grub2/grub.cfg"}, configured: "none"},
		{name: "configured grub2 is bios", files: []string{"boot/efi/EFI/fedora/grub.cfg"}, configured: "grub2", want: "grub2"},
		{name: "configured without files", configured: "uboot", want: "uboot"},
		{name: "zipl only configured", configured: "zipl", want: "zipl"},
		{name: "empty", configured: "", wantErr: "Invalid bootloader configuration: ''"},
		{name: "unknown", configured: "lilo", wantErr: "Invalid bootloader configuration: 'lilo'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			mkfiles(t, root, tc.files...)
			b, err := Query(root, tc.configured)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if b != nil {
				got = b.Name()
			}
			if got != tc.want {
				t.Fatalf("backend = %q, want %q", got, tc.want)
			}
			if b != nil && b.IsAtomic() == tc.wantEFI {
				t.Errorf("IsAtomic = %v, want %v", b.IsAtomic(), !tc.wantEFI)
			}
			if ValidName(tc.configured) != true {
				t.Errorf("ValidName(%q) = false", tc.configured)
			}
		})
	}
}

// entriesSysroot makes a sysroot holding the entries of testdata dir under
// boot/loader.1/entries, with the ostree= links leading to deployment
// directories.
func entriesSysroot(t *testing.T, dir string) (string, []*Config) {
	t.Helper()
	root := t.TempDir()
	entries := loadEntries(t, dir)
	for _, e := range entries {
		arg, _ := ParseKernelArgs(e.Value("options")).LastValue("ostree")
		mkfiles(t, root, arg+"/usr/")
	}
	return root, entries
}

func TestSyslinuxWriteConfig(t *testing.T) {
	root, entries := entriesSysroot(t, "testdata/syslinux/foreign-2")
	ctx := context.Background()
	if err := (syslinux{}).WriteConfig(ctx, root, 1, entries); err == nil || err.Error() != "openat(boot/syslinux/syslinux.cfg): no such file or directory" {
		t.Fatalf("without a config: %v", err)
	}
	old, _ := readOptional(t, "testdata/syslinux/foreign-2/old.cfg")
	mkfiles(t, root, "boot/loader.0/", "boot/loader -> loader.0", "boot/loader.1/", "boot/syslinux/syslinux.cfg -> ../loader/syslinux.cfg")
	if err := os.WriteFile(filepath.Join(root, "boot/loader/syslinux.cfg"), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := (syslinux{}).WriteConfig(ctx, root, 1, entries); err != nil {
		t.Fatal(err)
	}
	got, _ := readOptional(t, filepath.Join(root, "boot/loader.1/syslinux.cfg"))
	want, _ := readOptional(t, "testdata/syslinux/foreign-2/want.cfg")
	if got != want {
		t.Errorf("syslinux.cfg:\n%s\nwant:\n%s", got, want)
	}
	fi, err := os.Stat(filepath.Join(root, "boot/loader.1/syslinux.cfg"))
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644", fi.Mode(), err)
	}
	if err := os.WriteFile(filepath.Join(root, "boot/loader/syslinux.cfg"), []byte("\xff\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := (syslinux{}).WriteConfig(ctx, root, 1, entries); err == nil || err.Error() != "Invalid UTF-8" {
		t.Errorf("invalid UTF-8: %v", err)
	}
}

func TestUbootWriteConfig(t *testing.T) {
	const dir = "testdata/uboot/dtb-system-uenv"
	root, entries := entriesSysroot(t, dir)
	ctx := context.Background()
	if err := (uboot{}).WriteConfig(ctx, root, 1, entries); err == nil || !strings.HasPrefix(err.Error(), "openat(boot/loader/uEnv.txt)") {
		t.Fatalf("without uEnv.txt: %v", err)
	}
	mkfiles(t, root, "boot/loader.0/uEnv.txt", "boot/loader -> loader.0", "boot/loader.1/")
	// The system uEnv.txt is found through the default entry's ostree=.
	arg, _ := ParseKernelArgs(entries[0].Value("options")).LastValue("ostree")
	system, _ := readOptional(t, filepath.Join(dir, "system-uEnv.txt"))
	if err := os.MkdirAll(filepath.Join(root, arg, "usr/lib/ostree-boot"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, arg, "usr/lib/ostree-boot/uEnv.txt"), []byte(system), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := (uboot{}).WriteConfig(ctx, root, 1, entries); err != nil {
		t.Fatal(err)
	}
	got, _ := readOptional(t, filepath.Join(root, "boot/loader.1/uEnv.txt"))
	want, _ := readOptional(t, filepath.Join(dir, "want.txt"))
	if got != want {
		t.Errorf("uEnv.txt:\n%s\nwant:\n%s", got, want)
	}

	noOstree := ParseConfig([]byte("linux /vmlinuz\noptions quiet\n"))
	if err := (uboot{}).WriteConfig(ctx, root, 1, []*Config{noOstree}); err == nil || err.Error() != "No ostree= kernel argument found in boot loader configuration file" {
		t.Errorf("no ostree=: %v", err)
	}
	noLinux := ParseConfig([]byte("options ostree=/x\n"))
	if err := (uboot{}).WriteConfig(ctx, root, 1, []*Config{noLinux}); err == nil || err.Error() != `No "linux" key in bootloader config` {
		t.Errorf("no linux: %v", err)
	}
}

func TestJoinLines(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{""}, ""},
		{[]string{"", "a"}, "a\n"},
		{[]string{"", "", "a"}, "\na\n"},
		{[]string{"a", "", "", "b"}, "a\n\nb\n"},
		// Only the first empty line survives.
		{[]string{"a", "", "b", "", "c"}, "a\n\nb\nc\n"},
		{[]string{"multi\nline\n", "x"}, "multi\nline\n\nx\n"},
	} {
		if got := joinLines(tc.in); got != tc.want {
			t.Errorf("joinLines(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
