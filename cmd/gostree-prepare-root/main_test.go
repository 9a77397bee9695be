package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/testutil"
)

// allowed are the only gostree packages the initramfs binary may link:
// no repository, network, delta, pull or CLI code.
var allowed = map[string]bool{
	"internal/prepareroot": true,
	"internal/keyfile":     true, "internal/gvariant": true, "internal/fsx": true, "internal/errdefs": true,
	"internal/fsverity": true,
}

// allowedCrypto are the standard library's crypto packages it may link:
// Ed25519 for signed composefs and SHA-256 (fsverity), with what they
// need themselves, and nothing else (no TLS, X.509 or RSA).
var allowedCrypto = []string{"crypto/ed25519", "crypto/sha256"}

func TestDependencies(t *testing.T) {
	goBin := testutil.RequiresTool(t, "go")
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	cryptoOut, err := exec.Command(goBin, append([]string{"list", "-deps"}, allowedCrypto...)...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	crypto := map[string]bool{}
	for _, p := range strings.Fields(string(cryptoOut)) {
		crypto[p] = true
	}
	const module = "github.com/gostree/gostree/"
	for _, p := range strings.Fields(string(out)) {
		rel, ours := strings.CutPrefix(p, module)
		switch {
		case ours && rel != "cmd/gostree-prepare-root" && !allowed[rel]:
			t.Errorf("links %s", p)
		case p == "net" || strings.HasPrefix(p, "net/"):
			t.Errorf("links %s", p)
		case (p == "crypto" || strings.HasPrefix(p, "crypto/")) && !crypto[p]:
			t.Errorf("links %s, which %v do not need", p, allowedCrypto)
		}
	}
}

// build compiles the command as the Makefile does: static, no cgo.
func build(t *testing.T) string {
	t.Helper()
	goBin := testutil.RequiresTool(t, "go")
	bin := filepath.Join(t.TempDir(), "gostree-prepare-root")
	cmd := exec.Command(goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestStaticBinary(t *testing.T) {
	bin := build(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s has a %v program header: not static", bin, p.Type)
		}
	}
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d bytes", filepath.Base(bin), fi.Size())
	if fi.Size() > 4<<20 {
		t.Errorf("%d bytes: the initramfs binary grew past 4 MiB", fi.Size())
	}
}

// TestCommandErrors runs the binary under its three names.
func TestCommandErrors(t *testing.T) {
	bin := build(t)
	dir := filepath.Dir(bin)
	for _, name := range []string{"gostree-remount", "gostree-system-generator"} {
		if err := os.Symlink("gostree-prepare-root", filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		args     []string
		wantCode int
		want     string
	}{
		{[]string{"gostree-prepare-root", dir, "root=/dev/vda rw"}, 1,
			"gostree-prepare-root: no ostree= argument on the kernel command line\n"},
		{[]string{"gostree-prepare-root", "/", "ostree=/ostree/boot.1/os/x/0"}, 1,
			"gostree-prepare-root: the sysroot cannot be /: mount the physical root elsewhere first\n"},
		{[]string{"gostree-prepare-root"}, 1, "usage: gostree-prepare-root SYSROOT [CMDLINE]\n"},
		{[]string{"gostree-remount", "extra"}, 1, "usage: gostree-prepare-root SYSROOT [CMDLINE]\n"},
	}
	for _, tc := range tests {
		cmd := exec.Command(filepath.Join(dir, tc.args[0]), tc.args[1:]...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.wantCode || !strings.HasPrefix(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", tc.args, code, stderr.String(), tc.wantCode, tc.want)
		}
	}
}

// TestGeneratorOnThisHost runs the generator under its systemd name on a
// host booted without ostree=: it must write nothing.
func TestGeneratorOnThisHost(t *testing.T) {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil || strings.Contains(string(b), "ostree=") {
		testutil.Skip(t, "needs a host booted without ostree=")
	}
	bin := build(t)
	gen := filepath.Join(filepath.Dir(bin), "gostree-system-generator")
	if err := os.Symlink("gostree-prepare-root", gen); err != nil {
		t.Fatal(err)
	}
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	if out, err := exec.Command(gen, dirs...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, d := range dirs {
		if ents, _ := os.ReadDir(d); len(ents) != 0 {
			t.Errorf("%s: wrote %v", d, ents)
		}
	}
}
