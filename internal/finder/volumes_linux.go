package finder

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// SystemVolumes lists the mounted volumes GLib 2.74's GUnixVolumeMonitor
// shows a user (g_unix_mount_guess_should_display), which is what the
// libostree mount finder searches: mounts under /media/,
// /run/media/$USER/ or the home directory, that are not bind mounts of a
// subdirectory, not system filesystems or devices and not hidden in a
// dot directory, sorted by mount point.
func SystemVolumes(ctx context.Context) ([]Volume, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	home, _ := os.UserHomeDir()
	userName := ""
	if u, err := user.Current(); err == nil {
		userName = u.Username
	}
	return parseVolumes(data, home, userName, access), nil
}

// mountEntry is one line of /proc/self/mountinfo.
type mountEntry struct {
	root, mountPoint, fsType, source string
}

// parseMountinfo reads /proc/self/mountinfo lines: "ID PARENT MAJ:MIN
// ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS",
// with spaces and the like escaped as octal.
func parseMountinfo(data []byte) []mountEntry {
	var out []mountEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		sep := slices.Index(f, "-")
		if sep < 6 || len(f) < sep+3 {
			continue
		}
		out = append(out, mountEntry{
			root:       unescapeMountinfo(f[3]),
			mountPoint: unescapeMountinfo(f[4]),
			fsType:     unescapeMountinfo(f[sep+1]),
			source:     unescapeMountinfo(f[sep+2]),
		})
	}
	return out
}

func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func access(path string, mode uint32) bool { return unix.Access(path, mode) == nil }

// parseVolumes filters and sorts mountinfo entries; accessible checks
// access(2), and is a parameter for tests.
func parseVolumes(data []byte, home, userName string, accessible func(string, uint32) bool) []Volume {
	var out []Volume
	for _, m := range parseMountinfo(data) {
		if systemInternal(m) || !shouldDisplay(m, home, userName, accessible) {
			continue
		}
		out = append(out, Volume{Name: filepath.Base(m.mountPoint), Root: m.mountPoint})
	}
	slices.SortStableFunc(out, func(a, b Volume) int { return strings.Compare(a.Root, b.Root) })
	return out
}

// systemFSTypes and systemDevices are GLib's lists of filesystems and
// devices that only implement the OS.
var systemFSTypes = map[string]bool{
	"adfs": true, "afs": true, "auto": true, "autofs": true, "autofs4": true,
	"cgroup": true, "cgroup2": true, "configfs": true, "cxfs": true,
	"debugfs": true, "devfs": true, "devpts": true, "devtmpfs": true,
	"ecryptfs": true, "fdescfs": true, "fuse.gvfsd-fuse": true,
	"fuse.portal": true, "fusectl": true, "gfs": true, "gfs2": true,
	"gpfs": true, "hugetlbfs": true, "kernfs": true, "linprocfs": true,
	"linsysfs": true, "lustre": true, "lustre_lite": true, "mfs": true,
	"mqueue": true, "ncpfs": true, "nfsd": true, "nullfs": true,
	"ocfs2": true, "overlay": true, "proc": true, "procfs": true,
	"pstore": true, "ptyfs": true, "rootfs": true, "rpc_pipefs": true,
	"securityfs": true, "selinuxfs": true, "sysfs": true, "tmpfs": true,
	"usbfs": true,
}

var systemDevices = map[string]bool{
	"/dev/loop": true, "/dev/vn": true, "devpts": true, "nfsd": true,
	"none": true, "sunrpc": true,
}

// systemMountPoints are the FHS top-level directories and the like,
// which GLib never shows.
var systemMountPoints = map[string]bool{
	"/": true, "/bin": true, "/boot": true, "/compat/linux/proc": true,
	"/compat/linux/sys": true, "/dev": true, "/etc": true, "/home": true,
	"/lib": true, "/lib64": true, "/libexec": true, "/live/cow": true,
	"/live/image": true, "/media": true, "/mnt": true, "/net": true,
	"/opt": true, "/proc": true, "/rescue": true, "/root": true,
	"/sbin": true, "/srv": true, "/sys": true, "/tmp": true, "/usr": true,
	"/usr/X11R6": true, "/usr/local": true, "/usr/obj": true,
	"/usr/ports": true, "/usr/src": true, "/usr/xobj": true, "/var": true,
	"/var/crash": true, "/var/local": true, "/var/log": true,
	"/var/log/audit": true, "/var/mail": true, "/var/run": true,
	"/var/tmp": true, "/run": true,
}

// systemInternal is GLib's guess_system_internal; a mount of a
// subdirectory (a bind mount) counts as internal too.
func systemInternal(m mountEntry) bool {
	if systemFSTypes[m.fsType] || systemDevices[m.source] || systemMountPoints[m.mountPoint] {
		return true
	}
	for _, p := range []string{"/dev/", "/proc/", "/sys/"} {
		if strings.HasPrefix(m.mountPoint, p) {
			return true
		}
	}
	if strings.HasSuffix(m.mountPoint, "/.gvfs") {
		return true
	}
	return m.root != "" && m.root != "/"
}

// shouldDisplay is the rest of g_unix_mount_guess_should_display.
func shouldDisplay(m mountEntry, home, userName string, accessible func(string, uint32) bool) bool {
	p := m.mountPoint
	if strings.Contains(p, "/.") {
		return false
	}
	inRuntimeDir := userName != "" && strings.HasPrefix(p, "/run/media/"+userName+"/")
	if inRuntimeDir || strings.HasPrefix(p, "/media/") {
		if dir := filepath.Dir(p); strings.HasPrefix(dir, "/media/") && !accessible(dir, unix.R_OK|unix.X_OK) {
			return false
		}
		if strings.HasPrefix(m.source, "/") {
			var st unix.Stat_t
			if unix.Stat(m.source, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFBLK && !accessible(p, unix.R_OK|unix.X_OK) {
				return false
			}
		}
		return true
	}
	return home != "" && strings.HasPrefix(p, home) && len(p) > len(home) && p[len(home)] == '/'
}
