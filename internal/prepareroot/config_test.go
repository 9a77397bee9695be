package prepareroot

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gostree/gostree/internal/testutil"
)

func TestLoadConfigPrecedence(t *testing.T) {
	const ro, rw = "[sysroot]\nreadonly=true\n", "[sysroot]\nreadonly=false\n"
	no := Config{Composefs: "no"}
	yes := Config{Composefs: "yes", SysrootReadonly: true}
	tests := []struct {
		name         string
		usrLib, etc  string // prepare-root.conf contents; "" means no file
		repo         string // the sysroot's ostree/repo/config; "" means none
		cmdline      string
		want         Config // Keypath defaults to DefaultKeypath
		wantErrMatch string
	}{
		{name: "nothing", want: no},
		{name: "usr_lib", usrLib: ro, want: Config{SysrootReadonly: true, Composefs: "no"}},
		{name: "etc_wins", usrLib: ro + "[etc]\ntransient=1\n", etc: rw, want: no},
		// GLib's key file loads clear it: /etc's file replaces /usr/lib's.
		{name: "etc_replaces_usr_lib", usrLib: ro, etc: "[etc]\ntransient=false\n", want: no},
		{name: "etc_replaces_usr_lib_composefs", usrLib: "[composefs]\nenabled=yes\n", etc: "[etc]\ntransient=true\n",
			want: Config{EtcTransient: true, Composefs: "no"}},
		{name: "bad_usr_lib_still_fatal", usrLib: "[sysroot\n", etc: rw, wantErrMatch: "usr/lib/ostree/prepare-root.conf"},
		{name: "legacy_repo_config", repo: "[core]\nmode=bare\n" + ro, want: Config{SysrootReadonly: true, Composefs: "no"}},
		// libostree consults the repo config whenever the result is false.
		{name: "conf_false_then_legacy", etc: rw, repo: ro, want: Config{SysrootReadonly: true, Composefs: "no"}},
		{name: "legacy_false", repo: rw, want: no},
		{name: "composefs_maybe", usrLib: "[composefs]\nenabled=maybe\n", want: Config{Composefs: "maybe"}},
		{name: "composefs_maybe_legacy", usrLib: "[composefs]\nenabled=maybe\n", repo: ro, want: Config{Composefs: "maybe", SysrootReadonly: true}},
		{name: "composefs_no", etc: "[composefs]\nenabled=no\n", usrLib: "[composefs]\nenabled=yes\n", want: no},
		{name: "composefs_yes", usrLib: "[composefs]\nenabled=yes\n", want: yes},
		{name: "composefs_true", usrLib: "[composefs]\nenabled=true\n", want: yes},
		{name: "composefs_1_spaces", usrLib: "[composefs]\nenabled = 1  \n", want: yes},
		{name: "composefs_0", usrLib: "[composefs]\nenabled=0\n", want: no},
		{name: "composefs_false", usrLib: "[composefs]\nenabled=false\n", want: no},
		{name: "composefs_yes_ignores_legacy", usrLib: "[composefs]\nenabled=yes\n" + rw, repo: ro, want: Config{Composefs: "yes"}},
		{name: "composefs_verity", etc: "[composefs]\nenabled=verity\n", want: Config{Composefs: "yes", Verity: true, SysrootReadonly: true}},
		{name: "composefs_signed", etc: "[composefs]\nenabled=signed\nkeypath=/etc/ostree/keys\n",
			want: Config{Composefs: "yes", Verity: true, Signed: true, SysrootReadonly: true, Keypath: "/etc/ostree/keys"}},
		{name: "composefs_auto", etc: "[composefs]\nenabled=auto\n",
			wantErrMatch: "[composefs] enabled=auto: not one of yes, no, maybe, true, false, 1, 0, verity or signed"},
		{name: "composefs_karg_wins", usrLib: "[composefs]\nenabled=yes\n", cmdline: "ostree.prepare-root.composefs=0", want: no},
		{name: "composefs_karg_signed", cmdline: "quiet ostree.prepare-root.composefs=signed",
			want: Config{Composefs: "yes", Verity: true, Signed: true, SysrootReadonly: true}},
		// A tristate on the command line drops signing, not verity.
		{name: "composefs_karg_yes_after_signed", usrLib: "[composefs]\nenabled=signed\n", cmdline: "ostree.prepare-root.composefs=yes",
			want: Config{Composefs: "yes", Verity: true, SysrootReadonly: true}},
		{name: "composefs_karg_maybe_after_verity", usrLib: "[composefs]\nenabled=verity\n", cmdline: "ostree.prepare-root.composefs=maybe",
			want: Config{Composefs: "maybe", Verity: true}},
		{name: "composefs_karg_no_after_signed", usrLib: "[composefs]\nenabled=signed\n", cmdline: "ostree.prepare-root.composefs=no", want: no},
		{name: "composefs_karg_verity", cmdline: "ostree.prepare-root.composefs=verity",
			wantErrMatch: "kernel argument ostree.prepare-root.composefs=verity: not one of yes, no, maybe, true, false, 1, 0 or signed"},
		{name: "root_transient_false", usrLib: "[root]\ntransient=false\n", want: no},
		{name: "root_transient", usrLib: "[root]\ntransient=true\n[composefs]\nenabled=yes\n",
			want: Config{Composefs: "yes", SysrootReadonly: true, RootTransient: true}},
		{name: "root_transient_ro", usrLib: "[root]\ntransient-ro=1\n[composefs]\nenabled=maybe\n",
			want: Config{Composefs: "maybe", RootTransient: true, RootTransientRO: true}},
		{name: "root_transient_both", usrLib: "[root]\ntransient=true\ntransient-ro=true\n[composefs]\nenabled=yes\n",
			wantErrMatch: "cannot set both [root] transient and transient-ro"},
		{name: "root_transient_no_composefs", usrLib: "[root]\ntransient=true\n",
			wantErrMatch: "[root] transient=true: root.transient requires composefs"},
		{name: "root_transient_karg_no", usrLib: "[root]\ntransient-ro=true\n[composefs]\nenabled=yes\n", cmdline: "ostree.prepare-root.composefs=false",
			wantErrMatch: "[root] transient-ro=true: root.transient requires composefs"},
		{name: "bad_etc_transient", usrLib: "[etc]\ntransient=maybe\n", wantErrMatch: "[etc] transient=maybe: not a boolean"},
		{name: "bad_readonly", usrLib: "[sysroot]\nreadonly=yes\n", wantErrMatch: "[sysroot] readonly=yes: not a boolean"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, sysroot := t.TempDir(), t.TempDir()
			for rel, content := range map[string]string{ConfigFiles[0]: tc.usrLib, ConfigFiles[1]: tc.etc} {
				if content != "" {
					mustWrite(t, filepath.Join(root, rel), content)
				}
			}
			if tc.repo != "" {
				mustWrite(t, filepath.Join(sysroot, repoConfigRel), tc.repo)
			}
			got, err := LoadConfig(root, sysroot, tc.cmdline)
			if tc.wantErrMatch != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrMatch) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErrMatch)
				}
				return
			}
			if tc.want.Keypath == "" {
				tc.want.Keypath = DefaultKeypath
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestLoadConfigUnreadable(t *testing.T) {
	root := t.TempDir()
	// A directory where the file should be cannot be read.
	if err := os.MkdirAll(filepath.Join(root, ConfigFiles[1]), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(root, t.TempDir(), "")
	if err == nil || !strings.Contains(err.Error(), filepath.Join(root, ConfigFiles[1])) {
		t.Fatalf("error %v, want one naming the file", err)
	}
}

func TestBootedRoundTrip(t *testing.T) {
	for _, b := range []Booted{
		{Dev: 2049, Ino: 1234567},
		{Dev: 1<<40 + 7, Ino: 1<<63 + 1, SysrootRO: true, TransientEtc: "/run/ostree/transient-etc"},
		{Dev: 1, Ino: 2, RootTransient: true, RootTransientRO: true, Composefs: true, ComposefsVerity: true, ComposefsSigned: DefaultKeypath},
	} {
		data, err := b.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseBooted(data)
		if err != nil || got != b {
			t.Errorf("round trip of %+v: %+v, %v", b, got, err)
		}
	}
	if got, err := ParseBooted(nil); err != nil || got != (Booted{}) {
		t.Errorf("empty file (libostree 2022.7): %+v, %v", got, err)
	}
	if _, err := ParseBooted([]byte{1, 2, 3}); err == nil {
		t.Error("garbage parsed")
	}
}

// TestBootedGLib has GLib, which libostree reads the file with, print the
// a{sv} we write, keys in libostree 2025's order.
func TestBootedGLib(t *testing.T) {
	py := testutil.GLibPython(t)
	for _, tc := range []struct {
		b    Booted
		want string
	}{
		{Booted{Dev: 2049, Ino: 77, SysrootRO: true, TransientEtc: "/run/ostree/transient-etc"},
			"{'backing-root-device-inode': <(uint64 2049, uint64 77)>, 'root.transient': <false>, 'root.transient-ro': <false>, 'sysroot-ro': <true>, 'transient-etc': <'/run/ostree/transient-etc'>}"},
		{Booted{Dev: 5, Ino: 6, SysrootRO: true, Composefs: true, ComposefsVerity: true, ComposefsSigned: DefaultKeypath},
			"{'backing-root-device-inode': <(uint64 5, uint64 6)>, 'root.transient': <false>, 'root.transient-ro': <false>, 'composefs.signed': <'/etc/ostree/initramfs-root-binding.key'>, 'composefs': <true>, 'composefs.verity': <true>, 'sysroot-ro': <true>}"},
		{Booted{Dev: 5, Ino: 6, RootTransient: true, Composefs: true},
			"{'backing-root-device-inode': <(uint64 5, uint64 6)>, 'root.transient': <true>, 'root.transient-ro': <false>, 'composefs': <true>, 'composefs.verity': <false>, 'sysroot-ro': <false>}"},
	} {
		data, err := tc.b.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), BootedFile)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		script := `import sys
from gi.repository import GLib
b = open(sys.argv[1], 'rb').read()
v = GLib.Variant.new_from_bytes(GLib.VariantType.new('a{sv}'), GLib.Bytes.new(b), False)
assert v.is_normal_form()
print(v.print_(True))`
		out, err := exec.Command(py, "-c", script, p).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if string(out) != tc.want+"\n" {
			t.Errorf("GLib reads\n%s\nwant\n%s", out, tc.want)
		}
	}
}
