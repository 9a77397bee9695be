package commit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gostree/gostree/internal/gvariant"
	"github.com/gostree/gostree/internal/object"
	"github.com/gostree/gostree/internal/repo"
	"github.com/gostree/gostree/internal/testutil"
)

func refOstree(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "TZ=UTC")
	if err := cmd.Run(); err != nil {
		t.Fatalf("ostree %v: %v\n%s", args, err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

// makeFixture builds a source tree exercising modes, symlinks, hard
// links, xattrs, empty and large files and odd names.
func makeFixture(t *testing.T, dir string) {
	t.Helper()
	writeFiles(t, dir, map[string]string{
		"etc/passwd":          "root:x:0:0\n",
		"etc/empty":           "",
		"etc/link-abs":        "->/etc/passwd",
		"etc/link-rel":        "->passwd",
		"etc/dangling":        "->nowhere",
		"usr/bin/tool":        "#!/bin/sh\necho hi\n",
		"usr/bin/setuid":      "s",
		"usr/share/doc/a b c": "spaces",
		"usr/share/doc/ünï":   "unicode",
		"var/empty/":          "",
		"tmp/":                "",
		"root/secret":         "s3cret",
		"usr/lib/":            "",
	})
	rng := rand.New(rand.NewSource(42))
	for name, size := range map[string]int{"usr/lib/big": 300 << 10, "usr/lib/huge": 3 << 20, "usr/lib/edge": smallFile} {
		b := make([]byte, size)
		rng.Read(b[:size/2]) // half random, half zeros: compressible
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	chmods := map[string]os.FileMode{
		"usr/bin/tool": 0o755, "usr/bin/setuid": 0o755 | os.ModeSetuid, "root/secret": 0o600,
		"root": 0o700, "tmp": 0o777 | os.ModeSticky, "etc/empty": 0o664,
	}
	for p, m := range chmods {
		if err := os.Chmod(filepath.Join(dir, p), m); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(filepath.Join(dir, "usr/bin/tool"), filepath.Join(dir, "usr/bin/tool-hardlink")); err != nil {
		t.Fatal(err)
	}
	for p, x := range map[string][2]string{"etc/passwd": {"user.checksum", "abc"}, "usr/share": {"user.dir", "yes"}, "etc/link-rel": {"trusted.lnk", "v"}} {
		if err := syscall.Setxattr(filepath.Join(dir, p), x[0], []byte(x[1]), 0); err != nil && !strings.HasPrefix(x[0], "trusted.") {
			testutil.Skip(t, "xattrs not supported: "+err.Error())
		}
	}
	if os.Geteuid() == 0 {
		if err := os.Lchown(filepath.Join(dir, "root/secret"), 1234, 5678); err != nil {
			t.Fatal(err)
		}
	}
}

var allModes = []repo.Mode{repo.ModeBare, repo.ModeBareUser, repo.ModeBareUserOnly, repo.ModeArchive}

func modeArgs(m repo.Mode) []string {
	if m == repo.ModeBareUser || m == repo.ModeBareUserOnly {
		return []string{"-U"}
	}
	return nil
}

// snapshot describes a checked-out tree: path, type, mode, content hash.
func snapshot(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s %v", rel, st.Mode())
		switch {
		case st.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + target
		case st.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			line += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestInteropDirCommit commits the same tree with the reference and with
// us in every repo mode: the commit checksums must be equal, the
// reference must fsck our repo, and list and check out the same tree.
func TestInteropDirCommit(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "src")
	makeFixture(t, src)
	userMeta := object.Metadata{{Key: "version", Value: gvariant.NewVariant("s", "1.0")}}
	ty, v, err := gvariant.ParseAny("uint32 5")
	if err != nil {
		t.Fatal(err)
	}
	userMeta = append(userMeta, object.MetaEntry{Key: "num", Value: gvariant.Variant{Type: ty, Value: v}})
	for _, mode := range allModes {
		t.Run(mode.String(), func(t *testing.T) {
			dir := t.TempDir()
			refRepo, ourRepo := filepath.Join(dir, "ref"), filepath.Join(dir, "ours")
			refOstree(t, ref, "init", "--repo="+refRepo, "--mode="+mode.String())
			want := refOstree(t, ref, "commit", "--repo="+refRepo, "-b", "x", "--timestamp=@1700000000",
				"-s", "subject", "-m", "body", "--add-metadata-string=version=1.0", "--add-metadata=num=uint32 5",
				"--tree=dir="+src)
			r, err := repo.Init(ctx, ourRepo, repo.InitOptions{Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			ts := uint64(1700000000)
			var mod *Modifier
			if mode == repo.ModeBareUserOnly { // as the CLI does
				mod = NewModifier()
				mod.CanonicalPermissions, mod.SkipXattrs = true, true
			}
			res, err := Run(ctx, r, Options{Branch: "x", Subject: "subject", Body: "body", Timestamp: &ts,
				Metadata: userMeta, Modifier: mod, Trees: []TreeSource{{"dir", src}}, Getenv: func(string) string { return "" }})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Commit.String(); got != want {
				t.Errorf("commit checksum %s, reference %s", got, want)
			}
			refOstree(t, ref, "fsck", "--repo="+ourRepo)
			refLs := refOstree(t, ref, "ls", "--repo="+refRepo, "-R", "-X", "-C", "x")
			ourLs := refOstree(t, ref, "ls", "--repo="+ourRepo, "-R", "-X", "-C", "x")
			if diff := cmp.Diff(refLs, ourLs); diff != "" {
				t.Errorf("ls -R (-reference repo +our repo):\n%s", diff)
			}
			co := filepath.Join(dir, "co-ref")
			refOstree(t, ref, append(append([]string{"checkout", "--repo=" + refRepo}, modeArgs(mode)...), "x", co)...)
			co2 := filepath.Join(dir, "co-ours")
			refOstree(t, ref, append(append([]string{"checkout", "--repo=" + ourRepo}, modeArgs(mode)...), "x", co2)...)
			if diff := cmp.Diff(snapshot(t, co), snapshot(t, co2)); diff != "" {
				t.Errorf("checkout (-reference repo +our repo):\n%s", diff)
			}
		})
	}
}

// TestInteropArchiveCommit commits tar and cpio archives of the fixture.
func TestInteropArchiveCommit(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	tarBin := testutil.RequiresTool(t, "tar")
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	makeFixture(t, src)
	tgz := filepath.Join(dir, "src.tar.gz")
	if out, err := exec.Command(tarBin, "-czf", tgz, "-C", src, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	archives := []string{tgz}
	if cpio, err := exec.LookPath("cpio"); err == nil {
		p := filepath.Join(dir, "src.cpio")
		cmd := exec.Command("sh", "-c", "find . | "+cpio+" -o -H newc > "+p)
		cmd.Dir = src
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("cpio: %v\n%s", err, out)
		}
		archives = append(archives, p)
	}
	for _, mode := range allModes {
		for _, a := range archives {
			t.Run(mode.String()+"/"+filepath.Base(a), func(t *testing.T) {
				d := t.TempDir()
				refRepo := filepath.Join(d, "ref")
				refOstree(t, ref, "init", "--repo="+refRepo, "--mode="+mode.String())
				want := refOstree(t, ref, "commit", "--repo="+refRepo, "-b", "x", "--timestamp=@1700000000", "--tree=tar="+a)
				r, err := repo.Init(ctx, filepath.Join(d, "ours"), repo.InitOptions{Mode: mode})
				if err != nil {
					t.Fatal(err)
				}
				var mod *Modifier
				if mode == repo.ModeBareUserOnly {
					mod = NewModifier()
					mod.CanonicalPermissions, mod.SkipXattrs = true, true
				}
				o := commitOpts(TreeSource{"tar", a})
				o.Branch, o.Modifier = "x", mod
				res, err := Run(ctx, r, o)
				if err != nil {
					t.Fatal(err)
				}
				if got := res.Commit.String(); got != want {
					t.Errorf("commit checksum %s, reference %s", got, want)
				}
				refOstree(t, ref, "fsck", "--repo="+filepath.Join(d, "ours"))
			})
		}
	}
}

// TestInteropMetadata checks metadata layouts that decide the checksum:
// bindings, collection binding, kept keys and --bootable's dictionary
// order.
func TestInteropMetadata(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "src")
	writeFiles(t, src, map[string]string{"usr/lib/modules/5.10.0/vmlinuz": "kernel", "usr/etc/os-release": "ID=x\n"})
	for _, tc := range []struct {
		name string
		args []string
		opts func(*Options)
		cid  string
	}{
		{"orphan", []string{"--orphan"}, func(o *Options) { o.Branch, o.Orphan = "", true }, ""},
		{"bind refs", []string{"-b", "x", "--bind-ref=zz", "--bind-ref=aa"}, func(o *Options) { o.BindRefs = []string{"zz", "aa"} }, ""},
		{"no bindings", []string{"-b", "x", "--no-bindings"}, func(o *Options) { o.NoBindings = true }, ""},
		{"collection", []string{"-b", "x"}, func(o *Options) {}, "org.example.Os"},
		{"bootable", []string{"-b", "x", "--bootable", "--add-metadata-string=version=2", "--add-metadata-string=a=b"}, func(o *Options) {
			o.Bootable = true
			o.Metadata = object.Metadata{{Key: "version", Value: gvariant.NewVariant("s", "2")}, {Key: "a", Value: gvariant.NewVariant("s", "b")}}
		}, ""},
		{"duplicate keys", []string{"-b", "x", "--add-metadata-string=k=1", "--add-metadata-string=k=2"}, func(o *Options) {
			o.Metadata = object.Metadata{{Key: "k", Value: gvariant.NewVariant("s", "1")}, {Key: "k", Value: gvariant.NewVariant("s", "2")}}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			initArgs := []string{"init", "--repo=" + filepath.Join(d, "ref"), "--mode=archive"}
			if tc.cid != "" {
				initArgs = append(initArgs, "--collection-id="+tc.cid)
			}
			refOstree(t, ref, initArgs...)
			want := refOstree(t, ref, append([]string{"commit", "--repo=" + filepath.Join(d, "ref"), "--timestamp=@1", "-s", "s", "--tree=dir=" + src}, tc.args...)...)
			r, err := repo.Init(ctx, filepath.Join(d, "ours"), repo.InitOptions{Mode: repo.ModeArchive, CollectionID: tc.cid})
			if err != nil {
				t.Fatal(err)
			}
			o := commitOpts(TreeSource{"dir", src})
			o.Branch, o.Subject, o.Timestamp = "x", "s", tsPtr(1)
			tc.opts(&o)
			res, err := Run(ctx, r, o)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Commit.String(); got != want {
				t.Errorf("commit checksum %s, reference %s", got, want)
			}
		})
	}
}

// TestInteropReadBack commits with the reference and re-commits that
// commit through us (--tree=ref with a modifier), which reads every
// object the reference wrote.
func TestInteropReadBack(t *testing.T) {
	ref := testutil.ReferenceOstree(t)
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "src")
	makeFixture(t, src)
	for _, mode := range allModes {
		t.Run(mode.String(), func(t *testing.T) {
			d := t.TempDir()
			p := filepath.Join(d, "repo")
			refOstree(t, ref, "init", "--repo="+p, "--mode="+mode.String())
			refOstree(t, ref, "commit", "--repo="+p, "-b", "x", "--timestamp=@5", "--tree=dir="+src)
			want := refOstree(t, ref, "commit", "--repo="+p, "-b", "y", "--timestamp=@5", "--tree=ref=x", "--owner-uid=42", "--mode-ro-executables")
			r, err := repo.Open(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			mod := NewModifier()
			mod.OwnerUID, mod.ROExecutables = 42, true
			if mode == repo.ModeBareUserOnly {
				mod.CanonicalPermissions, mod.SkipXattrs = true, true
				want = "" // --owner-uid=42 conflicts with canonical permissions; only check the read path
			}
			o := commitOpts(TreeSource{"ref", "x"})
			// Same branch (it is in the ref binding), and the reference's
			// commit is not our parent.
			o.Branch, o.Parent, o.Timestamp, o.Modifier = "y", "none", tsPtr(5), mod
			res, err := Run(ctx, r, o)
			if err != nil {
				t.Fatal(err)
			}
			if want != "" && res.Commit.String() != want {
				t.Errorf("commit checksum %s, reference %s", res.Commit, want)
			}
			refOstree(t, ref, "fsck", "--repo="+p)
		})
	}
}
