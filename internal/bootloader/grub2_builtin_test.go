package bootloader

import (
	"bytes"
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

// builtinSysroot is a BIOS grub2 sysroot whose default deployment has no
// grub-mkconfig; it returns the root and entries naming its deployment.
func builtinSysroot(t *testing.T, withEnv bool, defaultGrub string) (string, []*Config) {
	t.Helper()
	root := t.TempDir()
	dep := "ostree/deploy/testos/deploy/" + strings.Repeat("a", 64) + ".0"
	mkfiles(t, root, "boot/loader.1/", "boot/grub/grub.cfg -> ../loader/grub.cfg", dep+"/usr/",
		"ostree/boot.1/testos/"+strings.Repeat("b", 64)+"/0 -> ../../../deploy/testos/deploy/"+strings.Repeat("a", 64)+".0")
	if defaultGrub != "" {
		writeText(t, filepath.Join(root, dep, "etc/default/grub"), defaultGrub)
	}
	if withEnv {
		if err := grubenv.Write(filepath.Join(root, "boot/grub/grubenv"), grubenv.New()); err != nil {
			t.Fatal(err)
		}
	}
	entries := loadEntries(t, "testdata/grub2/two")
	for _, e := range entries {
		e.Set("options", strings.Replace(e.Value("options"), "/ostree/boot.0/testos/7bd091ad6955c0e7ef41bab65adb016275664b55efc0d10a0c8cb263da3c1e4e/", "/ostree/boot.1/testos/"+strings.Repeat("b", 64)+"/", 1))
	}
	entries[0].Set("options", entries[0].Value("options")+" console=tty0 console=ttyS1,57600n8")
	return root, entries
}

func unsetGrub2Exec(t *testing.T) {
	t.Setenv("OSTREE_GRUB2_EXEC", "")
	os.Unsetenv("OSTREE_GRUB2_EXEC")
}

func TestGrub2BuiltinConfig(t *testing.T) {
	unsetGrub2Exec(t)
	root, entries := builtinSysroot(t, true, "GRUB_DEFAULT=0\nGRUB_TIMEOUT=\"5\"\n")
	b, ok, err := probeGrub2(root)
	if err != nil || !ok {
		t.Fatalf("probe: %v %v", ok, err)
	}
	if err := b.WriteConfig(context.Background(), root, 1, entries); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "boot/loader.1/grub.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(got)
	for _, want := range []string{
		"serial --unit=1 --speed=57600\nterminal_input serial console\nterminal_output serial console\n",
		"set timeout=5\n",
		`load_env -f "/boot/grub/grubenv" boot_counter boot_success`,
		"linux /boot/ostree/testos-7bd091ad6955c0e7ef41bab65adb016275664b55efc0d10a0c8cb263da3c1e4e/vmlinuz-3.6.0 ",
		"initrd /boot/ostree/testos-7bd091ad6955c0e7ef41bab65adb016275664b55efc0d10a0c8cb263da3c1e4e/initramfs-3.6.0.img\n",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("grub.cfg lacks %q:\n%s", want, cfg)
		}
	}
	// Entry 0 is the default deployment, entry 1 the previous one.
	titles := regexp.MustCompile(`(?m)^menuentry '([^']*)'`).FindAllStringSubmatch(cfg, -1)
	if len(titles) != 2 || titles[0][1] != "TestOS 42 1.0.10 (ostree:0)" || titles[1][1] != "TestOS 42 1.0.9 (ostree:1)" {
		t.Errorf("menu entries %q", titles)
	}
	if i, j := strings.Index(cfg, "load_env"), strings.Index(cfg, "menuentry"); i > j {
		t.Error("counting comes after the menu")
	}
	scriptCheck(t, got)
}

func TestGrub2BuiltinNoCounting(t *testing.T) {
	unsetGrub2Exec(t)
	root, entries := builtinSysroot(t, false, "")
	entries[0].Set("options", strings.TrimSuffix(entries[0].Value("options"), " console=tty0 console=ttyS1,57600n8"))
	if err := (&grub2{}).WriteConfig(context.Background(), root, 1, entries); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "boot/loader.1/grub.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"load_env", "save_env", "serial"} {
		if bytes.Contains(got, []byte(absent)) {
			t.Errorf("grub.cfg has %s without a grubenv or serial console:\n%s", absent, got)
		}
	}
	if !bytes.Contains(got, []byte("set timeout=0\n")) {
		t.Errorf("default timeout:\n%s", got)
	}
	scriptCheck(t, got)
}

// TestGrub2MkconfigPreferred: a deployment that has grub-mkconfig gets
// it run (chrooted there), not the built-in config.
func TestGrub2MkconfigPreferred(t *testing.T) {
	unsetGrub2Exec(t)
	root, entries := builtinSysroot(t, true, "")
	dep, err := deploymentRoot(root, entries[0])
	if err != nil {
		t.Fatal(err)
	}
	if mkconfigFound(root, entries) {
		t.Fatal("grub-mkconfig found in a deployment without one")
	}
	mkfiles(t, dep, strings.TrimPrefix(grub2MkconfigPath, "/"))
	if !mkconfigFound(root, entries) {
		t.Fatal("the deployment's grub-mkconfig not found")
	}
}

func TestGrub2BuiltinBadTimeout(t *testing.T) {
	unsetGrub2Exec(t)
	root, entries := builtinSysroot(t, true, "GRUB_TIMEOUT=soon\n")
	err := (&grub2{}).WriteConfig(context.Background(), root, 1, entries)
	if err == nil || !strings.Contains(err.Error(), "etc/default/grub: invalid GRUB_TIMEOUT=soon") {
		t.Fatalf("err %v", err)
	}
}

func scriptCheck(t *testing.T, cfg []byte) {
	t.Helper()
	tool := testutil.RequiresTool(t, "grub-script-check")
	p := filepath.Join(t.TempDir(), "grub.cfg")
	if err := os.WriteFile(p, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, p).CombinedOutput(); err != nil {
		t.Fatalf("grub-script-check: %v\n%s\n%s", err, out, cfg)
	}
}

func TestGrubCountingFragmentScriptCheck(t *testing.T) {
	scriptCheck(t, []byte(GrubCountingFragment("${prefix}/grubenv")))
}

// shGrub runs the counting fragment under sh, which reads GRUB's subset
// of script the same way once set, load_env and save_env are defined on
// a KEY=VALUE file; it returns the default entry GRUB would boot.
const shGrub = `
gset() { eval "$1"; }
load_env() { f=$2; shift 2; for n; do v=$(sed -n "s/^$n=//p" "$f"); [ -z "$v" ] || eval "$n=\$v"; done; }
save_env() { f=$2; shift 2; for n; do grep -v "^$n=" "$f" > "$f.t" || true; eval "echo $n=\${$n}" >> "$f.t"; mv "$f.t" "$f"; done; }
`

func shBoot(t *testing.T, envDir string) string {
	t.Helper()
	script := regexp.MustCompile(`(?m)^(\s*)set `).ReplaceAllString(GrubCountingFragment("${prefix}/grubenv"), "${1}gset ")
	cmd := exec.Command("sh", "-c", shGrub+"prefix="+envDir+"\n"+script+"echo ${default:-0}\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestGrubCountingFragmentSemantics boots the fragment under sh for every
// counter it handles: N boots of entry 0, then entry 1 with -1 left.
func TestGrubCountingFragmentSemantics(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		testutil.Skip(t, "no sh")
	}
	dir := t.TempDir()
	env := filepath.Join(dir, "grubenv")
	for n := 1; n <= GrubMaxBootCounter; n++ {
		writeText(t, env, fmt.Sprintf("boot_counter=%d\nboot_success=0\n", n))
		var picked []string
		for range n + 2 {
			picked = append(picked, shBoot(t, dir))
		}
		want := strings.Repeat("0 ", n) + "1 1"
		if got := strings.Join(picked, " "); got != want {
			t.Fatalf("counter %d: entries %s, want %s", n, got, want)
		}
		if b, _ := os.ReadFile(env); !strings.Contains(string(b), "boot_counter=-1\n") {
			t.Fatalf("counter %d: env after fallback %q", n, b)
		}
	}
	// A good boot (boot_success=1) does not count, and is reset to 0.
	writeText(t, env, "boot_counter=2\nboot_success=1\n")
	if got := shBoot(t, dir); got != "0" {
		t.Fatalf("picked %s", got)
	}
	if b, _ := os.ReadFile(env); !strings.Contains(string(b), "boot_counter=2\n") || !strings.Contains(string(b), "boot_success=0\n") {
		t.Fatalf("env after a blessed boot %q", b)
	}
	// Without a counter nothing changes but boot_success.
	writeText(t, env, "boot_success=1\n")
	if got := shBoot(t, dir); got != "0" {
		t.Fatalf("picked %s", got)
	}
	// Without the file nothing runs (GRUB would print errors otherwise).
	os.Remove(env)
	if got := shBoot(t, dir); got != "0" {
		t.Fatalf("picked %s", got)
	}
	if _, err := os.Stat(env); err == nil {
		t.Fatal("fragment created a grubenv")
	}
}

// TestGrubDSnippetMatches: dist/grub.d/08_gostree_fallback prints the
// fragment for the grubenv grub-install sets up in $prefix.
func TestGrubDSnippetMatches(t *testing.T) {
	out, err := exec.Command("sh", "../../dist/grub.d/08_gostree_fallback").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := GrubCountingFragment("${prefix}/grubenv"); string(out) != want {
		t.Fatalf("08_gostree_fallback is stale; regenerate it from GrubCountingFragment:\n%s", out)
	}
}

func writeText(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGrub2BuiltinEFI: on EFI the config replaces the one on the ESP and
// first finds the filesystem holding the kernels.
func TestGrub2BuiltinEFI(t *testing.T) {
	unsetGrub2Exec(t)
	root, entries := builtinSysroot(t, true, "")
	mkfiles(t, root, "boot/efi/EFI/debian/")
	cfg := filepath.Join(root, "boot/efi/EFI/debian/grub.cfg")
	writeText(t, cfg, "previous\n")
	if err := os.Remove(filepath.Join(root, "boot/grub/grub.cfg")); err != nil {
		t.Fatal(err)
	}
	b, ok, err := probeGrub2(root)
	if err != nil || !ok || b.IsAtomic() {
		t.Fatalf("probe: %v %v %v", b, ok, err)
	}
	if err := b.WriteConfig(context.Background(), root, 1, entries); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := "search --no-floppy --file --set=root '/boot/ostree/testos-7bd091ad6955c0e7ef41bab65adb016275664b55efc0d10a0c8cb263da3c1e4e/vmlinuz-3.6.0'\n"
	if !bytes.Contains(got, []byte(want)) || !bytes.Contains(got, []byte("menuentry ")) {
		t.Fatalf("EFI grub.cfg:\n%s", got)
	}
	if old, _ := os.ReadFile(filepath.Join(root, "boot/efi/EFI/debian/grub.cfg.old")); string(old) != "previous\n" {
		t.Fatalf("grub.cfg.old %q", old)
	}
	scriptCheck(t, got)
}
