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
	tests := []struct {
		name         string
		usrLib, etc  string // prepare-root.conf contents; "" means no file
		repo         string // the sysroot's ostree/repo/config; "" means none
		cmdline      string
		want         Config
		wantErrMatch string
	}{
		{name: "nothing", want: Config{Composefs: "no"}},
		{name: "usr_lib", usrLib: "[sysroot]\nreadonly=true\n", want: Config{SysrootReadonly: true, Composefs: "no"}},
		{name: "etc_wins", usrLib: "[sysroot]\nreadonly=true\n[etc]\ntransient=1\n", etc: "[sysroot]\nreadonly=false\n",
			want: Config{EtcTransient: true, Composefs: "no"}},
		{name: "etc_only_other_group", usrLib: "[sysroot]\nreadonly=1\n", etc: "[etc]\ntransient=false\n",
			want: Config{SysrootReadonly: true, Composefs: "no"}},
		{name: "legacy_repo_config", repo: "[core]\nmode=bare\n[sysroot]\nreadonly=true\n",
			want: Config{SysrootReadonly: true, Composefs: "no"}},
		{name: "conf_overrides_legacy", etc: "[sysroot]\nreadonly=false\n", repo: "[sysroot]\nreadonly=true\n",
			want: Config{Composefs: "no"}},
		{name: "legacy_false", repo: "[sysroot]\nreadonly=false\n", want: Config{Composefs: "no"}},
		{name: "composefs_maybe", usrLib: "[composefs]\nenabled=maybe\n", want: Config{Composefs: "maybe"}},
		{name: "composefs_no", etc: "[composefs]\nenabled=no\n", usrLib: "[composefs]\nenabled=yes\n", want: Config{Composefs: "no"}},
		{name: "composefs_karg_wins", usrLib: "[composefs]\nenabled=yes\n", cmdline: "ostree.prepare-root.composefs=0",
			want: Config{Composefs: "no"}},
		{name: "composefs_verity", etc: "[composefs]\nenabled=verity\n", wantErrMatch: "composefs is not supported yet"},
		{name: "root_transient_false", usrLib: "[root]\ntransient=false\n", want: Config{Composefs: "no"}},
		{name: "bad_etc_transient", usrLib: "[etc]\ntransient=maybe\n", wantErrMatch: "[etc] transient=maybe: not a boolean"},
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
// a{sv} we write.
func TestBootedGLib(t *testing.T) {
	py := testutil.GLibPython(t)
	data, err := Booted{Dev: 2049, Ino: 77, SysrootRO: true, TransientEtc: "/run/ostree/transient-etc"}.Marshal()
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
	want := "{'backing-root-device-inode': <(uint64 2049, uint64 77)>, 'root.transient': <false>, 'composefs': <false>, 'transient-etc': <'/run/ostree/transient-etc'>, 'sysroot-ro': <true>}\n"
	if string(out) != want {
		t.Errorf("GLib reads\n%s\nwant\n%s", out, want)
	}
}
