package boot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseReport(t *testing.T) {
	lines := strings.Split(`[    8.1] systemd[1]: noise
BOOTTEST pid1=systemd
BOOTTEST cmdline=root=/dev/vda ostree=/ostree/boot.1/os/x/0
BOOTTEST-BEGIN failed
BOOTTEST-END failed rc=0
BOOTTEST-BEGIN status
* os abc.0
[   9.250000] random: crng init done
    Version: 1
BOOTTEST-END status rc=0
BOOTTEST-DONE`, "\n")
	r, err := ParseReport(lines)
	if err != nil {
		t.Fatal(err)
	}
	want := &Report{
		Values: map[string]string{"pid1": "systemd", "cmdline": "root=/dev/vda ostree=/ostree/boot.1/os/x/0"},
		Blocks: map[string]string{"failed": "", "status": "* os abc.0\n    Version: 1"},
		RC:     map[string]string{"failed": "0", "status": "0"},
	}
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("report (-want +got):\n%s", d)
	}
	for name, bad := range map[string][]string{
		"no done":       lines[:len(lines)-1],
		"crossed block": {"BOOTTEST-BEGIN a", "BOOTTEST-END b rc=0", "BOOTTEST-DONE"},
	} {
		if _, err := ParseReport(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParseMountinfo(t *testing.T) {
	text := `28 1 254:0 /ostree/deploy/os/deploy/a.0 / rw,relatime shared:1 - ext4 /dev/vda rw
29 28 254:0 /ostree/deploy/os/deploy/a.0/usr /usr ro,relatime shared:2 - ext4 /dev/vda rw
30 28 0:40 / /var rw - tmpfs tmpfs rw
31 28 254:0 /ostree/deploy/os/var /var rw,relatime - ext4 /dev/vda rw
32 28 254:0 /a\040b /mnt/x\040y ro master:3 - ext4 /dev/vda rw`
	got, err := ParseMountinfo(text)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Mount{
		"/":        {Root: "/ostree/deploy/os/deploy/a.0", Point: "/", Options: "rw,relatime", FSType: "ext4", Source: "/dev/vda"},
		"/usr":     {Root: "/ostree/deploy/os/deploy/a.0/usr", Point: "/usr", Options: "ro,relatime", FSType: "ext4", Source: "/dev/vda"},
		"/var":     {Root: "/ostree/deploy/os/var", Point: "/var", Options: "rw,relatime", FSType: "ext4", Source: "/dev/vda"},
		"/mnt/x y": {Root: "/a b", Point: "/mnt/x y", Options: "ro", FSType: "ext4", Source: "/dev/vda"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("mounts (-want +got):\n%s", d)
	}
	if !got["/usr"].ReadOnly() || got["/"].ReadOnly() {
		t.Errorf("ReadOnly: /usr %v, / %v", got["/usr"].ReadOnly(), got["/"].ReadOnly())
	}
	if _, err := ParseMountinfo("1 2 3"); err == nil {
		t.Error("malformed line: no error")
	}
}

func TestEnableAndMaskUnits(t *testing.T) {
	root := t.TempDir()
	unit := "[Unit]\nDescription=x\n[Install]\nRequiredBy=boot-complete.target\nWantedBy=multi-user.target other.target\n"
	if err := WriteFiles(root, []File{
		{Path: "usr/lib/systemd/system/h.service", Data: unit},
		{Path: "usr/lib/systemd/system/static.service", Data: "[Service]\nExecStart=/bin/true\n"},
		{Path: "etc/systemd/system/timers.target.wants/apt-daily.timer", Link: "/lib/systemd/system/apt-daily.timer"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := enableUnit(root, "h.service"); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"boot-complete.target.requires", "multi-user.target.wants", "other.target.wants"} {
		l, err := os.Readlink(filepath.Join(root, "etc/systemd/system", dir, "h.service"))
		if err != nil || l != "/usr/lib/systemd/system/h.service" {
			t.Errorf("%s/h.service -> %q (%v)", dir, l, err)
		}
	}
	if err := enableUnit(root, "static.service"); err == nil {
		t.Error("enable a unit without [Install]: no error")
	}
	if err := enableUnit(root, "missing.service"); err == nil {
		t.Error("enable a missing unit: no error")
	}
	if err := maskUnits(root, []string{"apt-daily.timer"}); err != nil {
		t.Fatal(err)
	}
	if l, _ := os.Readlink(filepath.Join(root, "etc/systemd/system/apt-daily.timer")); l != "/dev/null" {
		t.Errorf("masked apt-daily.timer -> %q", l)
	}
	if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system/timers.target.wants/apt-daily.timer")); !os.IsNotExist(err) {
		t.Errorf("the masked unit's wants link remains (%v)", err)
	}
}

func TestDefaultBootEntry(t *testing.T) {
	sr := t.TempDir()
	entry := func(v, name string) File {
		return File{Path: "boot/loader/entries/ostree-" + v + ".conf", Data: "title t\nversion " + v +
			"\noptions root=/dev/vda ostree=/ostree/boot.1/os/b/" + v + "\nlinux /ostree/" + name + "/vmlinuz\ninitrd /ostree/" + name + "/initramfs.img\n"}
	}
	if err := WriteFiles(sr, []File{entry("1", "old"), entry("2", "new")}); err != nil {
		t.Fatal(err)
	}
	got, err := DefaultBootEntry(sr)
	if err != nil {
		t.Fatal(err)
	}
	want := &BootEntry{Version: 2, Linux: sr + "/boot/ostree/new/vmlinuz", Initrd: sr + "/boot/ostree/new/initramfs.img",
		Options: "root=/dev/vda ostree=/ostree/boot.1/os/b/2"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("entry (-want +got):\n%s", d)
	}
	if _, err := DefaultBootEntry(t.TempDir()); err == nil {
		t.Error("no entries: no error")
	}
}

func TestBootedLine(t *testing.T) {
	status := "  os abc.1\n    Version: 2\n* os def.0\n    Version: 1\n"
	for _, tc := range []struct {
		dep  string
		want bool
	}{{"def.0", true}, {"abc.1", false}, {"xyz.0", false}} {
		if got := bootedLine(status, "os", tc.dep); got != tc.want {
			t.Errorf("bootedLine(%s) = %v, want %v", tc.dep, got, tc.want)
		}
	}
}
