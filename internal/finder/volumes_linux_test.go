package finder

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseVolumes(t *testing.T) {
	const mountinfo = `22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
25 22 0:21 / /proc rw,nosuid - proc proc rw
40 22 7:0 / /media/usb rw,relatime shared:9 - vfat /dev/sdb1 rw
41 22 7:1 / /media/.hidden rw - ext4 /dev/sdc1 rw
42 22 254:0 /tmp/dir /media/bind rw - ext4 /dev/vda rw
43 22 0:50 / /media/ram rw - tmpfs tmpfs rw
44 22 7:2 / /run/media/alice/STICK rw - exfat /dev/sdd1 rw
45 22 7:3 / /run/media/bob/STICK rw - exfat /dev/sde1 rw
46 22 0:60 / /home/alice/fuse rw - fuse.sshfs host: rw
47 22 7:4 / /media/with\040space rw - ext4 /dev/sdf1 rw
48 22 7:5 / /mnt rw - ext4 /dev/sdg1 rw
49 22 7:6 / /media/locked/disk rw - ext4 /dev/sdh1 rw
50 22 7:7 / /media/aaa rw - ext4 /dev/loop rw
`
	accessible := func(p string, _ uint32) bool { return p != "/media/locked" }
	got := parseVolumes([]byte(mountinfo), "/home/alice", "alice", accessible)
	want := []Volume{
		{Name: "fuse", Root: "/home/alice/fuse"},
		{Name: "usb", Root: "/media/usb"},
		{Name: "with space", Root: "/media/with space"},
		{Name: "STICK", Root: "/run/media/alice/STICK"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("volumes (-want +got):\n%s", diff)
	}
}
