package grubenv

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/testutil"
)

func TestMarshalLayout(t *testing.T) {
	e := New()
	must(t, e.Set("boot_counter", "3"))
	must(t, e.Set("boot_success", "0"))
	b, err := e.Marshal()
	must(t, err)
	if len(b) != Size {
		t.Fatalf("size %d, want %d", len(b), Size)
	}
	want := Signature + warning + "boot_counter=3\nboot_success=0\n"
	if !bytes.HasPrefix(b, []byte(want)) || strings.Trim(string(b[len(want):]), "#") != "" {
		t.Fatalf("block %q", b[:len(want)+4])
	}
}

func TestEscapesRoundTrip(t *testing.T) {
	e := New()
	must(t, e.Set("a", `x\y`))
	must(t, e.Set("b", "line1\nline2"))
	must(t, e.Set("c", ""))
	must(t, e.Set("d", "a=b"))
	b, err := e.Marshal()
	must(t, err)
	if !bytes.Contains(b, []byte("a=x\\\\y\nb=line1\\\nline2\nc=\nd=a=b\n#")) {
		t.Fatalf("escaping: %q", b[:130])
	}
	back, err := Parse(b)
	must(t, err)
	for k, v := range map[string]string{"a": `x\y`, "b": "line1\nline2", "c": "", "d": "a=b"} {
		if got, ok := back.Get(k); !ok || got != v {
			t.Errorf("%s = %q (%v), want %q", k, got, ok, v)
		}
	}
}

func TestSetUnsetDuplicates(t *testing.T) {
	e, err := Parse([]byte(Signature + "x=1\ny=5\nx=2\n"))
	must(t, err)
	if v, _ := e.Get("x"); v != "2" {
		t.Fatalf("Get takes the last occurrence, as load_env does: got %q", v)
	}
	must(t, e.Set("x", "3"))
	if got := strings.Join(e.Names(), ","); got != "x,y" {
		t.Fatalf("names after Set %s", got)
	}
	e.Unset("x")
	if _, ok := e.Get("x"); ok {
		t.Fatal("x still set")
	}
	for _, bad := range []string{"", "a=b", "#c", "a\nb", `a\b`} {
		if e.Set(bad, "v") == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}

func TestParseStopsAtPadding(t *testing.T) {
	e, err := Parse([]byte(Signature + "#c=2\nfoo\nx=1\nq=a\\zb\nunterminated=1"))
	must(t, err)
	if got := strings.Join(e.Names(), ","); got != "foo\nx,q" {
		t.Fatalf("names %q", got)
	}
	if v, _ := e.Get("q"); v != "azb" {
		t.Fatalf("q = %q", v)
	}
	if _, err := Parse([]byte("bad")); !errors.Is(err, ErrNoSignature) {
		t.Fatalf("err %v", err)
	}
}

func TestTooLarge(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "grubenv")
	e := New()
	must(t, e.Set("boot_counter", "3"))
	must(t, Write(p, e))
	must(t, e.Set("k", strings.Repeat("x", 1100)))
	err := Write(p, e)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), p) {
		t.Fatalf("err %v", err)
	}
	back, err := Read(p)
	must(t, err)
	if v, _ := back.Get("boot_counter"); v != "3" || len(back.Names()) != 1 {
		t.Fatalf("old block damaged: %v", back.Names())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
}

func TestWriteKeepsLargerBlock(t *testing.T) {
	p := filepath.Join(t.TempDir(), "grubenv")
	must(t, os.WriteFile(p, []byte(Signature+strings.Repeat("#", 2048-len(Signature))), 0o600))
	must(t, Update(p, func(e *Env) error { return e.Set("a", "1") }))
	fi, err := os.Stat(p)
	must(t, err)
	if fi.Size() != 2048 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("size %d mode %v", fi.Size(), fi.Mode())
	}
}

// TestInteropEditenvReads: a block we write lists the same in grub-editenv.
func TestInteropEditenvReads(t *testing.T) {
	tool := testutil.RequiresTool(t, "grub-editenv")
	p := filepath.Join(t.TempDir(), "grubenv")
	e := New()
	must(t, e.Set("boot_counter", "-1"))
	must(t, e.Set("b", "line1\nline2"))
	must(t, e.Set("a", `x\y`))
	must(t, Write(p, e))
	out, err := exec.Command(tool, p, "list").Output()
	must(t, err)
	if want := "boot_counter=-1\nb=line1\nline2\na=x\\y\n"; string(out) != want {
		t.Fatalf("grub-editenv list:\n%q\nwant\n%q", out, want)
	}
	// grub-editenv edits our block in place without complaint.
	must(t, exec.Command(tool, p, "set", "boot_success=1").Run())
	back, err := Read(p)
	must(t, err)
	if v, _ := back.Get("boot_success"); v != "1" {
		t.Fatalf("boot_success %q", v)
	}
}

// TestInteropEditenvWrites: what grub-editenv writes we read, and our
// rewrite of it is byte-identical to its own.
func TestInteropEditenvWrites(t *testing.T) {
	tool := testutil.RequiresTool(t, "grub-editenv")
	dir := t.TempDir()
	p := filepath.Join(dir, "grubenv")
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(tool, append([]string{p}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("grub-editenv %v: %v %s", args, err, out)
		}
	}
	run("create")
	run("set", "boot_counter=3", "boot_success=0", `a=x\y`, "b=l1\nl2")
	e, err := Read(p)
	must(t, err)
	for k, v := range map[string]string{"boot_counter": "3", "boot_success": "0", "a": `x\y`, "b": "l1\nl2"} {
		if got, _ := e.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	ours, err := e.Marshal()
	must(t, err)
	theirs, err := os.ReadFile(p)
	must(t, err)
	if !bytes.Equal(ours, theirs) {
		t.Fatalf("re-encoding differs:\n%q\n%q", ours[:120], theirs[:120])
	}
	// Both tools agree after an unset.
	run("unset", "boot_counter")
	e.Unset("boot_counter")
	ours, _ = e.Marshal()
	theirs, _ = os.ReadFile(p)
	if !bytes.Equal(ours, theirs) {
		t.Fatalf("after unset:\n%q\n%q", ours[:120], theirs[:120])
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestWriteThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "efi", "grubenv")
	link := filepath.Join(dir, "grub2", "grubenv")
	must(t, os.MkdirAll(filepath.Dir(target), 0o755))
	must(t, os.MkdirAll(filepath.Dir(link), 0o755))
	must(t, Write(target, New()))
	must(t, os.Symlink("../efi/grubenv", link))
	must(t, Update(link, func(e *Env) error { return e.Set("boot_counter", "2") }))
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("symlink replaced: %v %v", fi, err)
	}
	e, err := Read(target)
	must(t, err)
	if v, _ := e.Get("boot_counter"); v != "2" {
		t.Fatalf("target not updated: %q", v)
	}
}

func TestWriteRefusesAbsoluteSymlink(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "grubenv")
	must(t, Write(outside, New()))
	before, _ := os.ReadFile(outside)
	link := filepath.Join(dir, "grubenv")
	must(t, os.Symlink(outside, link))
	e := New()
	must(t, e.Set("boot_counter", "1"))
	if err := Write(link, e); err == nil || !strings.Contains(err.Error(), link) {
		t.Fatalf("err %v", err)
	}
	if after, _ := os.ReadFile(outside); !bytes.Equal(before, after) {
		t.Fatal("wrote through an absolute symlink")
	}
}
