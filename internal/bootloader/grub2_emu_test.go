package bootloader

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/grubenv"
	"github.com/gostree/gostree/internal/testutil"
)

// emuResult is what the probe appended to grub.cfg prints.
var emuResult = regexp.MustCompile(`RESULT default=(\S*) counter=(\S*) kernel=(\S+)`)

// emuBoot runs real GRUB (grub-emu) on the ext4 image img, which holds
// cfg at cfgPath, up to the menu, and returns the default entry it would
// boot, the boot_counter it saw, and whether the default kernel's path
// resolves.
func emuBoot(t *testing.T, img, cfgPath string) []string {
	t.Helper()
	dir := t.TempDir()
	writeText(t, filepath.Join(dir, "device.map"), "(hd0) "+img+"\n")
	writeText(t, filepath.Join(dir, "grub", "grub.cfg"), "set root=(hd0)\nconfigfile "+cfgPath+"\n")
	// grub-emu wants a terminal; script gives it one.
	cmd := exec.Command("script", "-qec", "grub-emu -d "+filepath.Join(dir, "grub")+" -m "+filepath.Join(dir, "device.map"), "/dev/null")
	cmd.Stdin = nil
	out, _ := cmd.CombinedOutput()
	m := emuResult.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("grub-emu printed no result:\n%q", out)
	}
	if strings.Contains(string(out), "error:") {
		t.Fatalf("grub-emu reported errors:\n%q", out)
	}
	return m[1:]
}

// TestGrub2BuiltinRealGrub boots the built-in grub.cfg in real GRUB
// (grub-emu) from an ext4 image, for /boot on the root filesystem and
// /boot as its own partition: GRUB finds the kernels and the grubenv by
// the same paths in both, counts down, saves, and falls back to entry 1.
func TestGrub2BuiltinRealGrub(t *testing.T) {
	for _, tool := range []string{"grub-emu", "script", "mkfs.ext4", "debugfs"} {
		testutil.RequiresTool(t, tool)
	}
	unsetGrub2Exec(t)
	root, entries := builtinSysroot(t, true, "")
	entries[0].Set("options", strings.TrimSuffix(entries[0].Value("options"), " console=tty0 console=ttyS1,57600n8"))
	kernel := entries[0].Value("linux")
	mkfiles(t, root, "boot/loader -> loader.1", "boot/boot -> .", "boot"+kernel, "boot"+entries[0].Value("initrd"))
	env, err := grubenv.Read(filepath.Join(root, "boot/grub/grubenv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Set("boot_counter", "2"); err != nil {
		t.Fatal(err)
	}
	if err := env.Set("boot_success", "0"); err != nil {
		t.Fatal(err)
	}
	if err := grubenv.Write(filepath.Join(root, "boot/grub/grubenv"), env); err != nil {
		t.Fatal(err)
	}
	if err := (&grub2{}).WriteConfig(context.Background(), root, 1, entries); err != nil {
		t.Fatal(err)
	}
	// The probe runs where the menu would appear, then stops GRUB.
	cfgFile := filepath.Join(root, "boot/loader.1/grub.cfg")
	cfg, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	probe := fmt.Sprintf("k=missing\nif [ -f \"/boot%s\" ]; then k=found; fi\necho \"RESULT default=${default} counter=${boot_counter} kernel=${k}\"\nhalt\n", kernel)
	writeText(t, cfgFile, string(cfg)+probe)

	for _, layout := range []struct{ name, dir, cfg string }{
		{"boot on root", root, "/boot/grub/grub.cfg"},
		{"boot partition", filepath.Join(root, "boot"), "/grub/grub.cfg"},
	} {
		t.Run(layout.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "disk.img")
			if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-d", layout.dir, img, "16M").CombinedOutput(); err != nil {
				t.Fatalf("mkfs.ext4: %v\n%s", err, out)
			}
			var got []string
			for range 4 {
				got = append(got, strings.Join(emuBoot(t, img, layout.cfg), ","))
			}
			// Counter 2: two counted boots of entry 0, then entry 1 with -1 saved.
			want := []string{",1,found", ",0,found", "1,-1,found", "1,-1,found"}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("boots %q, want %q", got, want)
			}
			out, err := exec.Command("debugfs", "-R", "cat "+strings.TrimSuffix(layout.cfg, "grub.cfg")+"grubenv", img).Output()
			if err != nil {
				t.Fatal(err)
			}
			e, err := grubenv.Parse(out)
			if err != nil {
				t.Fatal(err)
			}
			if c, _ := e.Get("boot_counter"); c != "-1" {
				t.Fatalf("grubenv after the fallback: boot_counter=%q", c)
			}
		})
	}
}

// TestGrubDSnippetRealGrub runs what dist/grub.d/08_gostree_fallback
// prints in real GRUB, with $prefix where grub-install puts it.
func TestGrubDSnippetRealGrub(t *testing.T) {
	for _, tool := range []string{"grub-emu", "script", "mkfs.ext4", "debugfs", "sh"} {
		testutil.RequiresTool(t, tool)
	}
	snippet, err := exec.Command("sh", "../../dist/grub.d/08_gostree_fallback").Output()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := grubenv.New()
	if err := env.Set("boot_counter", "1"); err != nil {
		t.Fatal(err)
	}
	if err := env.Set("boot_success", "0"); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "boot/grub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := grubenv.Write(filepath.Join(dir, "boot/grub/grubenv"), env); err != nil {
		t.Fatal(err)
	}
	probe := "k=none\necho \"RESULT default=${default} counter=${boot_counter} kernel=${k}\"\nhalt\n"
	writeText(t, filepath.Join(dir, "boot/grub/grub.cfg"), "set prefix=(hd0)/boot/grub\n"+string(snippet)+probe)
	img := filepath.Join(t.TempDir(), "disk.img")
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-d", dir, img, "16M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	var got []string
	for range 3 {
		got = append(got, strings.Join(emuBoot(t, img, "/boot/grub/grub.cfg")[:2], ","))
	}
	if want := ",0 1,-1 1,-1"; strings.Join(got, " ") != want {
		t.Fatalf("boots %q, want %s", got, want)
	}
}
