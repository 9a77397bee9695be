package composefscmd_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli/clitest"
	"github.com/gostree/gostree/internal/cli/composefscmd"
	"github.com/gostree/gostree/internal/testutil"
)

const composefsVectors = "../../../../shared/composefs-vectors"

func cfsVector(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(composefsVectors, name)
	if _, err := os.Stat(p); err != nil {
		testutil.Skip(t, "composefs vectors missing: "+err.Error())
	}
	return p
}

func fileSHA256(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// runTool runs one of the multi-call entry points in-process.
func runTool(main func(context.Context, []string, io.Reader, io.Writer, io.Writer, func(string) string) int, stdin []byte, env map[string]string, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := main(context.Background(), args, bytes.NewReader(stdin), &out, &errb, func(k string) string { return env[k] })
	return out.String(), errb.String(), code
}

// TestComposefsMkimageVectors writes images of upstream vectors through
// the CLI (file and stdin, both spellings) and compares their sha256.
func TestComposefsMkimageVectors(t *testing.T) {
	dump := cfsVector(t, "special.dump")
	want, _ := os.ReadFile(dump + ".sha256")
	wantV1, _ := os.ReadFile(cfsVector(t, "special_v1.dump.sha256"))
	dir := t.TempDir()
	img := filepath.Join(dir, "out.cfs")
	env := map[string]string{"CFS_PARSE_STRICT": "1"}

	_, errOut, code := clitest.RunOurs(t, env, "composefs", "mkimage", "--from-file", "--min-version=0", "--max-version=0", dump, img)
	if code != 0 {
		t.Fatalf("mkimage: %d %s", code, errOut)
	}
	if got := fileSHA256(t, img); got != strings.TrimSpace(string(want)) {
		t.Fatalf("gostree composefs mkimage: sha256 %s, want %s", got, want)
	}
	// mkcomposefs's defaults bump to version 1 for the whiteout.
	data, _ := os.ReadFile(dump)
	_, errOut, code = runTool(composefscmd.MkcomposefsMain, data, env, "--from-file", "-", img)
	if code != 0 {
		t.Fatalf("mkcomposefs: %d %s", code, errOut)
	}
	if got := fileSHA256(t, img); got != strings.TrimSpace(string(wantV1)) {
		t.Fatalf("mkcomposefs from stdin: sha256 %s, want %s", got, wantV1)
	}
	// composefs-info dump | mkcomposefs --from-file - reproduces it.
	dumped, errOut, code := runTool(composefscmd.ComposefsInfoMain, nil, nil, "dump", img)
	if code != 0 {
		t.Fatalf("composefs-info dump: %d %s", code, errOut)
	}
	ours, _, _ := clitest.RunOurs(t, nil, "composefs", "dump", img)
	if ours != dumped {
		t.Fatal("gostree composefs dump and composefs-info dump differ")
	}
	img2 := filepath.Join(dir, "again.cfs")
	if _, errOut, code = runTool(composefscmd.MkcomposefsMain, []byte(dumped), env, "--from-file", "-", img2); code != 0 {
		t.Fatalf("mkcomposefs of the dump: %s", errOut)
	}
	if fileSHA256(t, img2) != fileSHA256(t, img) {
		t.Fatal("dump | mkcomposefs does not reproduce the image")
	}
	if _, errOut, code = runTool(composefscmd.MkcomposefsMain, nil, nil, "--from-file", cfsVector(t, "should-fail-dot-name.dump"), img2); code != 1 || errOut == "" {
		t.Fatalf("should-fail vector: exit %d, stderr %q", code, errOut)
	}
}

// TestComposefsFromDirectory builds an image of a directory with a
// digest store and lists it with info ls/objects/missing-objects.
func TestComposefsFromDirectory(t *testing.T) {
	src, store, dir := t.TempDir(), t.TempDir(), t.TempDir()
	big := bytes.Repeat([]byte("composefs "), 1000)
	os.MkdirAll(filepath.Join(src, "a b"), 0o755)
	os.WriteFile(filepath.Join(src, "a b", "big"), big, 0o644)
	os.WriteFile(filepath.Join(src, "small"), []byte("hi\n"), 0o644)
	os.Symlink("small", filepath.Join(src, "link"))
	img := filepath.Join(dir, "img.cfs")
	if _, errOut, code := runTool(composefscmd.MkcomposefsMain, nil, nil, "--digest-store="+store, src, img); code != 0 {
		t.Fatalf("mkcomposefs DIR: %s", errOut)
	}
	img2 := filepath.Join(dir, "img2.cfs")
	if _, errOut, code := clitest.RunOurs(t, nil, "composefs", "mkimage", src, img2); code != 0 {
		t.Fatalf("mkimage DIR: %s", errOut)
	}
	if fileSHA256(t, img) != fileSHA256(t, img2) {
		t.Fatal("mkcomposefs and gostree composefs mkimage differ")
	}
	ls, _, code := clitest.RunOurs(t, nil, "composefs", "info", "ls", img)
	if code != 0 {
		t.Fatal(ls)
	}
	objects, _, _ := runTool(composefscmd.ComposefsInfoMain, nil, nil, "objects", img)
	objs := strings.Fields(objects)
	if len(objs) != 1 { // small is inlined: no backing object
		t.Fatalf("objects %q", objects)
	}
	wantLs := "/a b/\t\n/a b/big\t@ " + objs[0] + "\n/link\t-> small\n/small\n"
	if ls != wantLs {
		t.Fatalf("ls:\n%s\nwant:\n%s", ls, wantLs)
	}
	got, err := os.ReadFile(filepath.Join(store, objs[0]))
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("digest store object %s: %v", objs[0], err)
	}
	missing, _, _ := runTool(composefscmd.ComposefsInfoMain, nil, nil, "missing-objects", "--basedir", store, img)
	if missing != "" {
		t.Fatalf("missing-objects %q with the store", missing)
	}
	missing, _, _ = runTool(composefscmd.ComposefsInfoMain, nil, nil, "missing-objects", "--basedir", dir, img)
	if missing != objects {
		t.Fatalf("missing-objects %q elsewhere, want %q", missing, objects)
	}
	digest, _, _ := runTool(composefscmd.MkcomposefsMain, nil, nil, "--print-digest-only", src)
	measured, _, _ := runTool(composefscmd.ComposefsInfoMain, nil, nil, "measure-file", img)
	if digest == "" || digest != measured {
		t.Fatalf("print-digest %q, measure-file %q", digest, measured)
	}
}

// TestComposefsHelp checks the multi-call help (the conformance runner
// looks for "composefs" in it) and that ostree's help stays the
// reference's.
func TestComposefsHelp(t *testing.T) {
	for name, main := range map[string]func(context.Context, []string, io.Reader, io.Writer, io.Writer, func(string) string) int{
		"mkcomposefs": composefscmd.MkcomposefsMain, "composefs-info": composefscmd.ComposefsInfoMain,
	} {
		out, _, code := runTool(main, nil, nil, "--help")
		if code != 0 || !strings.Contains(out, "composefs") {
			t.Errorf("%s --help: exit %d, %q", name, code, out)
		}
	}
	out, errOut, _ := clitest.RunOurs(t, nil, "--help")
	if strings.Contains(out+errOut, "composefs") {
		t.Error("ostree --help lists composefs")
	}
}
