package sysroot

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/keyfile"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/testutil"
)

// writeOSTree writes a small bootable tree like libostree's test suite
// does: a kernel and initramfs under usr/lib/modules, os-release and a
// few config files under usr/etc.
func writeOSTree(t *testing.T, dir, version string) {
	t.Helper()
	files := map[string]string{
		"usr/bin/sh":                          "an executable " + version + "\n",
		"usr/lib/modules/3.6.0/vmlinuz":       "a kernel\n",
		"usr/lib/modules/3.6.0/initramfs.img": "an initramfs\n",
		"usr/etc/os-release":                  "NAME=TestOS\nVERSION=42\nID=testos\nVERSION_ID=42\nPRETTY_NAME=\"TestOS 42\"\n",
		"usr/etc/aconfigfile":                 "a config file\n",
		"usr/etc/NetworkManager/nm.conf":      "a default daemon file\n",
		"usr/etc/testdirectory/test":          "a default daemon file\n",
		"usr/share/langs.txt":                 "some shared data\n",
	}
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("usr/bin", filepath.Join(dir, "bin")); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newTestSysroot makes a sysroot with stateroot testos and commits two
// versions of the test tree with the reference; it returns the sysroot
// path and the two commits.
func newTestSysroot(t *testing.T, ref string) (string, string, string) {
	t.Helper()
	t.Setenv("OSTREE_SYSROOT_DEBUG", "mutable-deployments")
	ctx := context.Background()
	tmp := t.TempDir()
	root := filepath.Join(tmp, "sysroot")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := InitFS(ctx, root, InitFSOptions{}); err != nil {
		t.Fatal(err)
	}
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.InitStateroot(ctx, "testos"); err != nil {
		t.Fatal(err)
	}
	var commits []string
	for _, v := range []string{"1.0.9", "1.0.10"} {
		tree := filepath.Join(tmp, "osdata-"+v)
		writeOSTree(t, tree, v)
		out := run(t, ref, "--repo="+filepath.Join(root, "ostree/repo"), "commit", "-b", "testos/buildmain/x86_64-runtime",
			"--add-metadata-string=version="+v, "-s", "Build", "--tree=dir="+tree)
		commits = append(commits, strings.TrimSpace(out))
	}
	return root, commits[0], commits[1]
}

func deploy(t *testing.T, root, commit string) *Deployment {
	t.Helper()
	ctx := context.Background()
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := object.ParseChecksum(commit)
	if err != nil {
		t.Fatal(err)
	}
	origin := keyfile.New()
	origin.SetString("origin", "refspec", "testos:testos/buildmain/x86_64-runtime")
	merge := s.MergeDeployment("testos")
	res, err := s.DeployTree(ctx, DeployOptions{Stateroot: "testos", Commit: c, Origin: origin, Merge: merge, Kargs: kargsOr(merge, []string{"root=LABEL=MOO", "quiet"})})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SimpleWriteDeployment(ctx, "testos", res.Deployment, merge, SimpleWriteFlags{}); err != nil {
		t.Fatal(err)
	}
	return res.Deployment
}

// kargsOr is nil (inherit) when there is a merge deployment.
func kargsOr(merge *Deployment, def []string) []string {
	if merge != nil {
		return nil
	}
	return def
}

// TestReferenceReadsOurDeployments deploys twice with gostree, then
// checks the reference's `admin status` and a deploy by the reference
// on top, which we load back.
func TestReferenceReadsOurDeployments(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	root, c1, c2 := newTestSysroot(t, ref)
	deploy(t, root, c1)

	// A local edit to /etc must survive the upgrade.
	s, _ := Open(root)
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	etc := filepath.Join(root, s.Deployments[0].RelPath(), "etc")
	if err := os.WriteFile(filepath.Join(etc, "aconfigfile"), []byte("modified\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(etc, "NetworkManager/nm.conf")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(etc, "newlocal"), []byte("local\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d2 := deploy(t, root, c2)

	status := run(t, ref, "admin", "status", "--sysroot="+root)
	for _, want := range []string{"testos " + c2 + ".0", "testos " + c1 + ".0\n", "Version: 1.0.10", "origin refspec: testos:testos/buildmain/x86_64-runtime"} {
		if !strings.Contains(status, want) {
			t.Errorf("reference admin status lacks %q:\n%s", want, status)
		}
	}
	newEtc := filepath.Join(root, d2.RelPath(), "etc")
	if b, _ := os.ReadFile(filepath.Join(newEtc, "aconfigfile")); string(b) != "modified\n" {
		t.Errorf("modified config not carried over: %q", b)
	}
	if _, err := os.Stat(filepath.Join(newEtc, "NetworkManager/nm.conf")); !os.IsNotExist(err) {
		t.Errorf("removed config came back: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(newEtc, "newlocal")); string(b) != "local\n" {
		t.Errorf("added config not carried over: %q", b)
	}
	entry, err := os.ReadFile(filepath.Join(root, "boot/loader/entries/ostree-2.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"title TestOS 42 1.0.10 (ostree:0)\n", "version 2\n", "options root=LABEL=MOO quiet ostree=/ostree/boot.", "linux /ostree/testos-", "/vmlinuz-3.6.0\n", "initrd /ostree/testos-"} {
		if !strings.Contains(string(entry), want) {
			t.Errorf("BLS entry lacks %q:\n%s", want, entry)
		}
	}
	run(t, ref, "fsck", "--repo="+filepath.Join(root, "ostree/repo"))

	// The reference deploys on our sysroot; we read its result.
	run(t, ref, "admin", "deploy", "--sysroot="+root, "--os=testos", c1)
	s, _ = Open(root)
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(s.Deployments) != 2 || s.Deployments[0].Csum != c1 || s.Deployments[0].Serial != 1 || s.Deployments[1].Csum != c2 {
		var got []string
		for _, d := range s.Deployments {
			got = append(got, d.Name())
		}
		t.Fatalf("after the reference's deploy we load %v", got)
	}
	if got := s.Deployments[0].BootConfig.Value("options"); !strings.HasPrefix(got, "root=LABEL=MOO quiet ostree=") {
		t.Errorf("kernel arguments not inherited: %q", got)
	}
}
