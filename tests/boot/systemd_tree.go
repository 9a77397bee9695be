package boot

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// systemdPackages are added to debootstrap's minbase: systemd as PID 1 and
// the reference ostree, whose "admin status" runs in the guest too.
var systemdPackages = []string{"systemd", "systemd-sysv", "ostree"}

// systemdTrim are removed from the tree after debootstrap: nothing in the
// guest reads them, and a smaller tree commits and boots faster.
var systemdTrim = []string{
	"var/cache/apt", "var/lib/apt/lists", "usr/share/doc", "usr/share/man",
	"usr/share/locale", "usr/share/info",
}

// SystemdTreeConfig says how the cached systemd tree is made; its String
// keys the cache.
type SystemdTreeConfig struct {
	Suite, Arch, Mirror string
	Packages            []string
}

func (c SystemdTreeConfig) String() string {
	return fmt.Sprintf("format=1 suite=%s arch=%s variant=minbase include=%s trim=%s mirror=%s",
		c.Suite, c.Arch, strings.Join(c.Packages, ","), strings.Join(systemdTrim, ","), c.Mirror)
}

// DefaultSystemdTreeConfig is bookworm (the reference ostree's suite) from
// the mirror in the machine's apt sources, for the host's architecture.
func DefaultSystemdTreeConfig() (SystemdTreeConfig, error) {
	suite := "bookworm"
	m, err := DebianMirror()
	if err != nil {
		return SystemdTreeConfig{}, err
	}
	arch := runtime.GOARCH
	if out, err := exec.Command("dpkg", "--print-architecture").Output(); err == nil {
		arch = strings.TrimSpace(string(out))
	}
	return SystemdTreeConfig{Suite: suite, Arch: arch, Mirror: m, Packages: systemdPackages}, nil
}

// SystemdTreeTarball returns a tarball of a debootstrapped tree with
// systemd, building it (as root, a few minutes) when the cache has none for
// cfg. logf receives progress lines.
func SystemdTreeTarball(cfg SystemdTreeConfig, logf func(string, ...any)) (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", fmt.Errorf("boot cache %s: %w", cache, err)
	}
	sum := sha256.Sum256([]byte(cfg.String()))
	key := hex.EncodeToString(sum[:6])
	tarball := filepath.Join(cache, "systemd-rootfs-"+key+".tar")

	unlock, err := lockFile(tarball + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if st, err := os.Stat(tarball); err == nil && st.Size() > 0 {
		return tarball, nil
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return "", fmt.Errorf("build %s: debootstrap not installed: %w", tarball, err)
	}
	build, err := os.MkdirTemp(cache, "build-systemd-")
	if err != nil {
		return "", fmt.Errorf("build %s: %w", tarball, err)
	}
	defer removeUnlessMounted(build, logf)
	root := filepath.Join(build, "root")
	start := time.Now()
	logf("debootstrap %s (%s): a few minutes, once", tarball, cfg)
	cmd := exec.Command("debootstrap", "--variant=minbase", "--arch="+cfg.Arch,
		"--include="+strings.Join(cfg.Packages, ","), cfg.Suite, root, cfg.Mirror)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("debootstrap %s into %s: %w\n%s", cfg.Suite, root, err, tail(string(out), 20))
	}
	logf("debootstrap took %s", time.Since(start).Round(time.Second))
	if err := trimTree(root); err != nil {
		return "", err
	}
	tmp := tarball + ".tmp"
	tar := exec.Command("tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-C", root, "-cf", tmp, ".")
	if out, err := tar.CombinedOutput(); err != nil {
		return "", fmt.Errorf("tar %s: %w\n%s", tmp, err, tail(string(out), 20))
	}
	if err := os.WriteFile(tarball+".conf", []byte(cfg.String()+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("write %s.conf: %w", tarball, err)
	}
	if err := os.Rename(tmp, tarball); err != nil {
		return "", fmt.Errorf("install %s: %w", tarball, err)
	}
	return tarball, nil
}

// removeUnlessMounted removes a build directory, unless a failed
// debootstrap left /proc, /sys or /dev mounted below it: removing those
// would reach the host's own.
func removeUnlessMounted(dir string, logf func(string, ...any)) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		logf("left %s in place: %v", dir, err)
		return
	}
	mounts, err := ParseMountinfo(string(b))
	if err != nil {
		logf("left %s in place: %v", dir, err)
		return
	}
	for p := range mounts {
		if p == dir || strings.HasPrefix(p, dir+"/") {
			logf("left %s in place: %s is still mounted", dir, p)
			return
		}
	}
	os.RemoveAll(dir)
}

// trimTree removes systemdTrim and what OSTree cannot commit (device
// nodes, FIFOs, sockets).
func trimTree(root string) error {
	for _, p := range systemdTrim {
		if err := os.RemoveAll(filepath.Join(root, p)); err != nil {
			return fmt.Errorf("trim %s: %w", p, err)
		}
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe|fs.ModeSocket) != 0 {
			return os.Remove(p)
		}
		return nil
	})
}

// lockFile takes an exclusive flock on path, so that parallel test
// processes build a cached asset once.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
