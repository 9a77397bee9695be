package sysroot

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/grubenv"
	"github.com/gostree/gostree/internal/testutil"
)

var emuResult = regexp.MustCompile(`RESULT default=(\S*) counter=(\S*)`)

// grubImage is the physical sysroot as an ext4 image (/boot on the root
// filesystem), its grub.cfg ending in a probe that prints what GRUB
// decided and stops before the menu.
func grubImage(t *testing.T, physical string) string {
	t.Helper()
	cfg := filepath.Join(physical, "boot/loader/grub.cfg")
	orig, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	probe := "echo \"RESULT default=${default} counter=${boot_counter}\"\nhalt\n"
	if err := os.WriteFile(cfg, append(append([]byte{}, orig...), probe...), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.WriteFile(cfg, orig, 0o644)
	img := filepath.Join(t.TempDir(), "disk.img")
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-d", physical, img, "64M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	return img
}

// grubEmuBoot runs real GRUB (grub-emu) on img as a stage-1 config that
// chains to the sysroot's /boot/grub/grub.cfg would, and returns
// "DEFAULT,COUNTER" as the generated config left them.
func grubEmuBoot(t *testing.T, img string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"device.map":    "(hd0) " + img + "\n",
		"grub/grub.cfg": "set root=(hd0)\nconfigfile /boot/grub/grub.cfg\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// grub-emu wants a terminal; script gives it one.
	out, _ := exec.Command("script", "-qec", "grub-emu -d "+filepath.Join(dir, "grub")+" -m "+filepath.Join(dir, "device.map"), "/dev/null").CombinedOutput()
	m := emuResult.FindStringSubmatch(string(out))
	if m == nil || strings.Contains(string(out), "error:") {
		t.Fatalf("grub-emu:\n%q", out)
	}
	return m[1] + "," + m[2]
}

// imageGrubenv copies the grubenv GRUB saved in img back to the sysroot.
func imageGrubenv(t *testing.T, img, physical string) {
	t.Helper()
	out, err := exec.Command("debugfs", "-R", "cat /boot/grub/grubenv", img).Output()
	if err != nil {
		t.Fatal(err)
	}
	e, err := grubenv.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := grubenv.Write(filepath.Join(physical, "boot/grub/grubenv"), e); err != nil {
		t.Fatal(err)
	}
}

// TestGrubFallbackRealGrub: a sysroot whose OS has no grub-mkconfig gets
// our grub.cfg; real GRUB boots the new deployment three times, falls
// back, and after CommitFallback boots the old one as the default.
func TestGrubFallbackRealGrub(t *testing.T) {
	for _, tool := range []string{"grub-emu", "script", "mkfs.ext4", "debugfs"} {
		testutil.RequiresTool(t, tool)
	}
	ref := testutil.ReferenceOstree(t)
	t.Setenv("OSTREE_GRUB2_EXEC", "")
	os.Unsetenv("OSTREE_GRUB2_EXEC")
	ctx := context.Background()
	physical, c1, c2 := newTestSysroot(t, ref)
	if err := os.MkdirAll(filepath.Join(physical, "boot/grub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../loader/grub.cfg", filepath.Join(physical, "boot/grub/grub.cfg")); err != nil {
		t.Fatal(err)
	}
	env := withGrubenv(t, physical)
	deploy(t, physical, c1)
	if err := loadSysroot(t, physical).MarkBootGood(ctx); err != nil {
		t.Fatal(err)
	}
	bad := deploy(t, physical, c2)

	img := grubImage(t, physical)
	var boots []string
	for range 4 {
		boots = append(boots, grubEmuBoot(t, img))
	}
	if got, want := strings.Join(boots, " "), ",2 ,1 ,0 1,-1"; got != want {
		t.Fatalf("GRUB boots (default,counter): %s, want %s", got, want)
	}
	imageGrubenv(t, img, physical)
	s := loadSysroot(t, physical)
	if st, err := s.BootCountState(); err != nil || !st.FellBack {
		t.Fatalf("BootCountState = %+v, %v", st, err)
	}
	h := simBoot(t, physical, s.Deployments[1])
	s = h.open(t)
	if err := s.CommitFallback(ctx, s.Deployments[0], "did not finish booting after 3 attempts"); err != nil {
		t.Fatal(err)
	}
	if got := envVar(t, env, "boot_counter"); got != "<unset>" {
		t.Fatalf("boot_counter %s after CommitFallback", got)
	}
	s = h.open(t)
	if s.Deployments[1].Csum != bad.Csum {
		t.Fatalf("deployments %v", names(s.Deployments))
	}
	cfg, err := os.ReadFile(filepath.Join(physical, "boot/loader/grub.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	if first := regexp.MustCompile(`(?m)^menuentry '[^']*1\.0\.9 \(ostree:0\)'`); !first.Match(cfg) {
		t.Fatalf("grub.cfg does not list the old deployment first:\n%s", cfg)
	}
	if got := grubEmuBoot(t, grubImage(t, physical)); got != "," {
		t.Fatalf("boot after CommitFallback: %s, want the default entry uncounted", got)
	}
}
