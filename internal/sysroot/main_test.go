package sysroot_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/cli"
	"github.com/gostree/gostree/internal/testutil"
)

// cliEnv makes the test binary act as the gostree command line, so the
// tests can run (and kill) gostree as a separate process without a
// build step.
const cliEnv = "GOSTREE_SYSROOT_TEST_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(cliEnv) == "1" {
		os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(m.Run())
}

// tool is one ostree implementation run as a process.
type tool struct {
	name string
	path string
	env  []string
}

func gostreeTool(t *testing.T) tool {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return tool{name: "gostree", path: exe, env: []string{cliEnv + "=1"}}
}

func referenceTool(t *testing.T) tool {
	t.Helper()
	return tool{name: "reference", path: testutil.ReferenceOstree(t)}
}

// command is the tool run with args; deployments stay mutable so that
// unprivileged tests and t.TempDir can delete them.
func (tl tool) command(extraEnv []string, args ...string) *exec.Cmd {
	cmd := exec.Command(tl.path, args...)
	env := []string{"OSTREE_SYSROOT_DEBUG=mutable-deployments", "LC_ALL=C.UTF-8"}
	for _, e := range os.Environ() {
		if k, _, _ := strings.Cut(e, "="); k != "OSTREE_SYSROOT" && k != "OSTREE_SYSROOT_DEBUG" && k != "LC_ALL" && k != "GOSTREE_TEST_CRASHPOINT" && k != cliEnv {
			env = append(env, e)
		}
	}
	cmd.Env = append(append(env, tl.env...), extraEnv...)
	return cmd
}

// try runs the tool and returns its output and error.
func (tl tool) try(args ...string) (stdout, stderr string, err error) {
	cmd := tl.command(nil, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// run runs the tool and fails the test unless it succeeds.
func (tl tool) run(t *testing.T, args ...string) string {
	t.Helper()
	o, e, err := tl.try(args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", tl.name, strings.Join(args, " "), err, o, e)
	}
	return o
}

// treeSpec describes a small bootable tree like libostree's test suite
// makes.
type treeSpec struct {
	// kernels are the KVER directories under usr/lib/modules holding a
	// vmlinuz and an initramfs; nil means {"3.6.0"}, empty none.
	kernels []string
	// boot varies the kernel's content, hence the boot checksum.
	boot int
	// content varies usr/bin/content-iteration.
	content int
	// files are added or replaced (a value of "" removes the file).
	files map[string]string
}

func writeTree(t *testing.T, dir string, spec treeSpec) {
	t.Helper()
	files := map[string]string{
		"usr/bin/sh":                     "an executable\n",
		"usr/bin/content-iteration":      fmt.Sprintf("content iteration %d\n", spec.content),
		"usr/etc/os-release":             "NAME=TestOS\nVERSION=42\nID=testos\nVERSION_ID=42\nPRETTY_NAME=\"TestOS 42\"\n",
		"usr/etc/aconfigfile":            "a config file\n",
		"usr/etc/NetworkManager/nm.conf": "a default daemon file\n",
		"usr/etc/testdirectory/test":     "a default daemon file\n",
		"usr/share/langs.txt":            "some shared data\n",
	}
	kernels := spec.kernels
	if kernels == nil {
		kernels = []string{"3.6.0"}
	}
	for _, k := range kernels {
		files["usr/lib/modules/"+k+"/vmlinuz"] = fmt.Sprintf("a kernel %s %d\n", k, spec.boot)
		files["usr/lib/modules/"+k+"/initramfs.img"] = fmt.Sprintf("an initramfs %s %d\n", k, spec.boot)
	}
	for p, c := range spec.files {
		files[p] = c
	}
	for p, c := range files {
		if c == "" {
			continue
		}
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range [][2]string{{"usr/bin", "bin"}, {"usr/lib", "lib"}} {
		if err := os.Symlink(l[0], filepath.Join(dir, l[1])); err != nil {
			t.Fatal(err)
		}
	}
}

// fixture is a sysroot with stateroot testos whose repo holds commits
// the reference made; trees maps each commit to its source tree.
type fixture struct {
	root  string
	trees map[string]string
}

// newFixture makes an empty sysroot (init-fs, os-init by the reference).
func newFixture(t *testing.T, ref tool) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{root: filepath.Join(dir, "sysroot"), trees: map[string]string{}}
	if err := os.Mkdir(f.root, 0o755); err != nil {
		t.Fatal(err)
	}
	ref.run(t, "admin", "init-fs", f.root)
	ref.run(t, "admin", "os-init", "--sysroot="+f.root, "testos")
	return f
}

func (f *fixture) repo() string { return filepath.Join(f.root, "ostree/repo") }

// commit writes a tree from spec and commits it on branch with a fixed
// timestamp; version "" adds no version metadata.
func (f *fixture) commit(t *testing.T, ref tool, branch, version string, spec treeSpec) string {
	t.Helper()
	tree := filepath.Join(filepath.Dir(f.root), fmt.Sprintf("tree-%d", len(f.trees)))
	writeTree(t, tree, spec)
	args := []string{"--repo=" + f.repo(), "commit", "-b", branch, "-s", "Build",
		fmt.Sprintf("--timestamp=@%d", 1700000000+len(f.trees)), "--tree=dir=" + tree}
	if version != "" {
		args = append(args, "--add-metadata-string=version="+version)
	}
	c := strings.TrimSpace(ref.run(t, args...))
	f.trees[c] = tree
	return c
}

// clone copies the sysroot (hard links inside it kept) to a new
// directory and returns a fixture for the copy.
func (f *fixture) clone(t *testing.T) *fixture {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "sysroot")
	if out, err := exec.Command("cp", "-a", f.root, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v\n%s", err, out)
	}
	return &fixture{root: dst, trees: f.trees}
}

var statusLine = regexp.MustCompile(`^[* ] (\S+) ([0-9a-f]{64}\.[0-9]+)`)

// statusDeployments parses the deployment lines of `admin status`.
func statusDeployments(out string) []string {
	var names []string
	for _, l := range strings.Split(out, "\n") {
		if m := statusLine.FindStringSubmatch(l); m != nil {
			names = append(names, m[1]+"/"+m[2])
		}
	}
	return names
}

// manifest describes every file under root (path, type, mode, symlink
// target, content digest), skipping paths for which skip is true.
func manifest(t *testing.T, root string, skip func(rel string) bool) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if skip != nil && skip(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		desc := fmt.Sprintf("%v", fi.Mode())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			desc += " -> " + target
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		m[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// diffManifests lists the differences between two manifests.
func diffManifests(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			out = append(out, "only in first: "+k)
		} else if v != w {
			out = append(out, fmt.Sprintf("%s: %s != %s", k, v, w))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, "only in second: "+k)
		}
	}
	sort.Strings(out)
	return out
}

// volatile are paths whose content the tools may change without
// changing the system: the repo's scratch space, lock files, and the
// temporary files of atomic replacements that a crash leaves behind
// (".NAME.tmpXXX", which no reader lists).
func volatile(rel string) bool {
	switch rel {
	case "ostree/repo/tmp", "ostree/lock", "ostree/repo/.lock":
		return true
	}
	return tmpFile.MatchString(filepath.Base(rel))
}

var tmpFile = regexp.MustCompile(`^\..+\.tmp`)

var (
	subBootDir = regexp.MustCompile(`^(ostree/boot\.[01])\.[01]`)
	subBootRef = regexp.MustCompile(`^(ostree/repo/refs/heads/ostree/[01])/[01]`)
	subBootTgt = regexp.MustCompile(`-> (boot\.[01])\.[01]$`)
)

// anySubbootversion replaces the subbootversion in a sysroot manifest:
// which of ostree/boot.N.0 and ostree/boot.N.1 holds the links depends
// on what an interrupted run left in the unused one.
func anySubbootversion(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		k = subBootDir.ReplaceAllString(k, "$1.S")
		k = subBootRef.ReplaceAllString(k, "$1/S")
		out[k] = subBootTgt.ReplaceAllString(v, "-> $1.S")
	}
	return out
}

// sysrootState is a manifest of the whole sysroot but volatile paths.
func sysrootState(t *testing.T, root string) map[string]string {
	return manifest(t, root, volatile)
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil || !errors.Is(err, fs.ErrNotExist)
}
