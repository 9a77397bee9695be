package sysroot

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"golang.org/x/sys/unix"
)

// listTree names everything under dir with its type, relative to dir.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel+" "+fi.Mode().String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func writeVarTree(t *testing.T, root string, tmpfiles bool) {
	t.Helper()
	for _, d := range []string{"var/lib/app", "var/log", "usr/bin"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "var/lib/app"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "var/lib/app/data"), []byte("seed\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("lib/app", filepath.Join(root, "var/link")); err != nil {
		t.Fatal(err)
	}
	if tmpfiles {
		if err := os.MkdirAll(filepath.Join(root, "usr/lib/tmpfiles.d"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPopulateVarSeedsEmptyVarWithLegacySkeleton(t *testing.T) {
	root, varDir := t.TempDir(), t.TempDir()
	writeVarTree(t, root, false)
	copied, err := populateVar(root, varDir)
	if err != nil || !copied {
		t.Fatalf("populateVar = %v, %v", copied, err)
	}
	want := []string{
		"lib drwxr-xr-x", "lib/app drwx------", "lib/app/data -rw-r-----", "link Lrwxrwxrwx",
		"lock Lrwxrwxrwx", "log drwxr-xr-x", "run Lrwxrwxrwx", "tmp dtrwxrwxrwx",
	}
	if got := listTree(t, varDir); !slices.Equal(got, want) {
		t.Fatalf("var holds\n%q\nwant\n%q", got, want)
	}
	if b, err := os.ReadFile(filepath.Join(varDir, "lib/app/data")); err != nil || string(b) != "seed\n" {
		t.Fatalf("copied data = %q, %v", b, err)
	}
	if l, _ := os.Readlink(filepath.Join(varDir, "lock")); l != "../run/lock" {
		t.Fatalf("lock -> %q", l)
	}
}

func TestPopulateVarWithTmpfilesHasNoSkeleton(t *testing.T) {
	root, varDir := t.TempDir(), t.TempDir()
	writeVarTree(t, root, true)
	if _, err := populateVar(root, varDir); err != nil {
		t.Fatal(err)
	}
	want := []string{"lib drwxr-xr-x", "lib/app drwx------", "lib/app/data -rw-r-----", "link Lrwxrwxrwx", "log drwxr-xr-x"}
	if got := listTree(t, varDir); !slices.Equal(got, want) {
		t.Fatalf("var holds %q, want %q", got, want)
	}
}

// A var with anything in it, even a dotfile, is the user's: untouched.
func TestPopulateVarLeavesUsedVarAlone(t *testing.T) {
	root, varDir := t.TempDir(), t.TempDir()
	writeVarTree(t, root, false)
	if err := os.WriteFile(filepath.Join(varDir, ".ostree-selabeled"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	copied, err := populateVar(root, varDir)
	if err != nil || copied {
		t.Fatalf("populateVar = %v, %v", copied, err)
	}
	if got := listTree(t, varDir); !slices.Equal(got, []string{".ostree-selabeled -rw-r--r--"}) {
		t.Fatalf("var holds %q", got)
	}
}

func TestPopulateVarWithoutVarInTree(t *testing.T) {
	root, varDir := t.TempDir(), t.TempDir()
	copied, err := populateVar(root, varDir)
	if err != nil || copied {
		t.Fatalf("populateVar = %v, %v", copied, err)
	}
	if got := listTree(t, varDir); len(got) != 0 {
		t.Fatalf("var holds %q", got)
	}
}

// A tree /var holding something a commit cannot (a fifo) fails the copy
// and leaves var empty for the next try.
func TestPopulateVarFailureLeavesVarEmpty(t *testing.T) {
	root, varDir := t.TempDir(), t.TempDir()
	writeVarTree(t, root, false)
	if err := mkfifo(filepath.Join(root, "var/lib/fifo")); err != nil {
		t.Skip(err)
	}
	if _, err := populateVar(root, varDir); err == nil {
		t.Fatal("copying a fifo succeeded")
	}
	if got := listTree(t, varDir); len(got) != 0 {
		t.Fatalf("var holds %q after a failed copy", got)
	}
}

func mkfifo(p string) error { return unix.Mkfifo(p, 0o644) }
