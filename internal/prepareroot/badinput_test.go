package prepareroot

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrepareBadInput runs the command on broken systems: each must fail
// with one line naming the problem, exit 1, and leave the mount table,
// the sysroot and the run directory as they were.
func TestPrepareBadInput(t *testing.T) {
	relink := func(target string) func(*testing.T, *fixture) {
		return func(t *testing.T, f *fixture) {
			link := f.sysroot + "/ostree/boot.1.0/os/" + testBootCsum + "/0"
			if err := os.Remove(link); err != nil {
				t.Fatal(err)
			}
			mustSymlink(t, target, link)
		}
	}
	S, T := "$S", "$S"+testTarget // $S, $I, $D, $B and $R expand to fixture paths
	tests := []struct {
		name    string
		setup   func(*testing.T, *fixture)
		cmdline string // replaces the fixture's
		sysroot string // replaces the fixture's
		want    string // the whole line, or its start when it ends in "…"
	}{
		{name: "no_ostree_karg", cmdline: "root=/dev/vda rw quiet",
			want: "no ostree= argument on the kernel command line"},
		{name: "empty_ostree_karg", cmdline: "ostree= rw",
			want: "no ostree= argument on the kernel command line"},
		{name: "not_a_symlink", setup: func(t *testing.T, f *fixture) {
			link := f.sysroot + "/ostree/boot.1.0/os/" + testBootCsum + "/0"
			if err := os.Remove(link); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(link, 0o755); err != nil {
				t.Fatal(err)
			}
		}, want: "ostree=" + testTarget + ": " + T + " is not a symbolic link"},
		{name: "dangling", setup: relink("../../../deploy/os/deploy/" + strings.Repeat("0", 64) + ".0"),
			want: "ostree=" + testTarget + ": " + T + " is a dangling symbolic link"},
		{name: "escapes_sysroot", setup: relink("../../../../../../../../../../../../etc"),
			want: "ostree=" + testTarget + ": " + T + " points outside the sysroot"},
		{name: "not_a_deployment", setup: relink("../../../repo"),
			want: "ostree=" + testTarget + ": " + T + " resolves to /ostree/repo, which is not a deployment (ostree/deploy/STATEROOT/deploy/CSUM.SERIAL)"},
		{name: "missing_bootlink", cmdline: "ostree=/ostree/boot.1/os/" + testBootCsum + "/1",
			want: "ostree=/ostree/boot.1/os/" + testBootCsum + "/1: " + S + "/ostree/boot.1/os/" + testBootCsum + "/1 does not exist"},
		{name: "missing_stateroot_var", setup: func(t *testing.T, f *fixture) {
			if err := os.RemoveAll(f.sysroot + "/ostree/deploy/os/var"); err != nil {
				t.Fatal(err)
			}
		}, want: "ostree=" + testTarget + ": stateroot var directory " + S + "/ostree/deploy/os/var does not exist"},
		{name: "missing_usr", setup: func(t *testing.T, f *fixture) {
			if err := os.RemoveAll(f.deploy + "/usr"); err != nil {
				t.Fatal(err)
			}
		}, want: "deployment's directory $D/usr does not exist"},
		{name: "usr_is_a_link", setup: func(t *testing.T, f *fixture) {
			if err := os.RemoveAll(f.deploy + "/usr"); err != nil {
				t.Fatal(err)
			}
			mustSymlink(t, "/usr", f.deploy+"/usr")
		}, want: "deployment's $D/usr is not a directory"},
		{name: "sysroot_not_mounted", sysroot: "$B/elsewhere", setup: func(t *testing.T, f *fixture) {
			if err := os.Mkdir(f.base+"/elsewhere", 0o755); err != nil {
				t.Fatal(err)
			}
		}, want: "sysroot $B/elsewhere is not a mount point"},
		{name: "bad_boolean", setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[1], "[sysroot]", "readonly=yes")
		}, want: "$I/etc/ostree/prepare-root.conf: [sysroot] readonly=yes: not a boolean (true, false, 1 or 0)"},
		{name: "bad_legacy_boolean", setup: func(t *testing.T, f *fixture) {
			mustWrite(t, f.sysroot+"/ostree/repo/config", "[sysroot]\nreadonly=on\n")
		}, want: S + "/ostree/repo/config: [sysroot] readonly=on: not a boolean (true, false, 1 or 0)"},
		{name: "composefs_yes", setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[0], "[composefs]", "enabled=yes")
		}, want: "composefs: failed to mount: $D/.ostree.cfs does not exist"},
		{name: "composefs_karg_signed", cmdline: "ostree=" + testTarget + " ostree.prepare-root.composefs=signed",
			want: "composefs: reading public key file: open $I/etc/ostree/initramfs-root-binding.key: no such file or directory"},
		{name: "composefs_bad_value", setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[1], "[composefs]", "enabled=perhaps")
		}, want: "$I/etc/ostree/prepare-root.conf: [composefs] enabled=perhaps: not one of yes, no, maybe, true, false, 1, 0, verity or signed"},
		{name: "root_transient", setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[0], "[root]", "transient=true")
		}, want: "$I/usr/lib/ostree/prepare-root.conf: [root] transient=true: root.transient requires composefs"},
		{name: "bad_config_syntax", setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[1], "[sysroot", "readonly=true")
		}, want: "$I/etc/ostree/prepare-root.conf: …"},
		{name: "composefs_garbage_image", setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[0], "[composefs]", "enabled=maybe")
			mustWrite(t, f.deploy+"/"+ComposefsImage, "not an image")
		}, want: "composefs: failed to mount: $D/.ostree.cfs is not a composefs image: no composefs header"},
		{name: "composefs_garbage_erofs", setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[0], "[composefs]", "enabled=yes")
			mustWrite(t, f.deploy+"/"+ComposefsImage, "\x9a\x62\x78\xd0"+strings.Repeat("garbage!", 1024))
		}, want: "composefs: failed to mount: mount composefs image $D/.ostree.cfs (erofs) on $R/ostree/.private/cfsroot-lower: …"},
		{name: "composefs_no_objects", setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[0], "[composefs]", "enabled=yes")
			newCfsImage(false).install(t, f)
			if err := os.RemoveAll(f.sysroot + "/" + objectsRel); err != nil {
				t.Fatal(err)
			}
		}, want: "composefs: failed to mount: repository objects directory $S/ostree/repo/objects does not exist"},
		{name: "composefs_transient_no_image", setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[0], "[composefs]", "enabled=maybe", "[root]", "transient=true")
		}, want: "composefs: no image $D/.ostree.cfs: root.transient requires composefs"},
		{name: "composefs_signed_empty_keyfile", setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[0], "[composefs]", "enabled=signed", "keypath=/keys")
			mustWrite(t, f.initrd+"/keys", "\n")
		}, want: "composefs: public key file $I/keys specified, but no public keys found"},
		{name: "composefs_signed_no_commit", setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[0], "[composefs]", "enabled=signed")
			mustWrite(t, f.initrd+"/etc/ostree/initramfs-root-binding.key", strings.Repeat("A", 43)+"=\n")
		}, want: "composefs: Error loading signatures from repo: open $S/ostree/repo/objects/" + testCsum[:2] + "/" + testCsum[2:] + ".commit: no such file or directory"},
		{name: "composefs_signed_wrong_key", setup: func(t *testing.T, f *fixture) {
			im := newCfsImage(false)
			im.install(t, f)
			pub, _ := newKey(t, 1)
			_, other := newKey(t, 2)
			f.conf(t, ConfigFiles[0], "[composefs]", "enabled=signed")
			signCommit(t, f, imageDigest(t, f), pub, other)
		}, want: "composefs: Checking commit signature of …"},
		{name: "composefs_signed_tmpfs", setup: func(t *testing.T, f *fixture) {
			newCfsImage(false).install(t, f)
			pub, priv := newKey(t, 1)
			f.conf(t, ConfigFiles[0], "[composefs]", "enabled=signed")
			signCommit(t, f, imageDigest(t, f), pub, priv)
		}, want: "composefs: failed to mount: fsverity not supported for composefs image $D/.ostree.cfs: …"},
		// Fails after the composefs root is up: it is taken down again.
		{name: "composefs_run_dir_broken", setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[1], "[composefs]", "enabled=yes", "[root]", "transient=true")
			newCfsImage(false).install(t, f)
			f.markVar(t)
			mustWrite(t, filepath.Join(f.run, BootedFile, "junk"), "")
		}, want: "write $R/ostree-booted: …"},
		// Fails after the new root is assembled: everything is undone.
		{name: "run_dir_broken", setup: func(t *testing.T, f *fixture) {
			f.conf(t, ConfigFiles[1], "[sysroot]", "readonly=true", "[etc]", "transient=true")
			f.markVar(t)
			mustWrite(t, filepath.Join(f.run, BootedFile, "junk"), "")
		}, want: "write $R/ostree-booted: …"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !inNamespace(t) {
				return
			}
			f := newFixture(t)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			expand := strings.NewReplacer("$S", f.sysroot, "$I", f.initrd, "$D", f.deploy, "$B", f.base, "$R", f.run).Replace
			sysroot, cmdline := f.sysroot, f.cmdline()
			if tc.sysroot != "" {
				sysroot = expand(tc.sysroot)
			}
			if tc.cmdline != "" {
				cmdline = tc.cmdline
			}
			before := mountinfo(t)
			runBefore := listTree(t, f.run)
			var stdout, stderr bytes.Buffer
			e := env{prepare: Options{Root: f.initrd, RunDir: f.run}}
			code := run([]string{"/usr/lib/gostree/gostree-prepare-root", sysroot, cmdline}, e, &stdout, &stderr)
			got := stderr.String()
			want := "gostree-prepare-root: " + expand(tc.want)
			if prefix, ok := strings.CutSuffix(want, "…"); ok {
				if !strings.HasPrefix(got, prefix) || strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, "\n") {
					t.Errorf("stderr %q, want one line starting %q", got, prefix)
				}
			} else if got != want+"\n" {
				t.Errorf("stderr\n got %q\nwant %q", got, want+"\n")
			}
			if code != 1 || stdout.Len() != 0 {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, stdout.String())
			}
			if after := mountinfo(t); after != before {
				t.Errorf("mount table changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if _, err := os.Lstat(f.sysroot + ".tmp"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s.tmp left behind: %v", f.sysroot, err)
			}
			if got := listTree(t, f.run); got != runBefore && got != runBefore+"ostree/\n" {
				t.Errorf("run directory changed:\nbefore:\n%s\nafter:\n%s", runBefore, got)
			}
		})
	}
}

// listTree lists the paths below dir, one a line, directories ending in /.
func listTree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			rel += "/"
		}
		b.WriteString(rel + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
