package boot

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// systemdMasked are units that cost boot time under TCG and test nothing
// here: login prompts, timers, first-boot cache rebuilds (ldconfig, the
// journal catalog: /etc and /usr differ in age on every new deployment),
// pseudo-filesystems and modules nothing uses, the random seed, users
// debootstrap already made, the journal's move to /var (each 2-5 s here).
var systemdMasked = []string{
	"getty@.service", "serial-getty@.service", "getty.target",
	"apt-daily.timer", "apt-daily-upgrade.timer", "dpkg-db-backup.timer",
	"e2scrub_all.timer", "e2scrub_reap.service", "fstrim.timer",
	"systemd-pstore.service", "ldconfig.service", "systemd-journal-catalog-update.service",
	"systemd-update-done.service", "systemd-networkd-wait-online.service",
	"systemd-timesyncd.service", "systemd-firstboot.service",
	"proc-sys-fs-binfmt_misc.automount", "dev-hugepages.mount", "dev-mqueue.mount",
	"sys-kernel-debug.mount", "sys-kernel-tracing.mount", "sys-kernel-config.mount",
	"sys-fs-fuse-connections.mount", "modprobe@.service", "kmod-static-nodes.service",
	"systemd-random-seed.service", "systemd-sysusers.service", "systemd-journal-flush.service",
}

// Guest markers: the test unit prints "BOOTTEST KEY=VALUE" lines and
// "BOOTTEST-BEGIN NAME" … "BOOTTEST-END NAME rc=N" blocks on the console.
const (
	markerLine  = "BOOTTEST "
	markerBegin = "BOOTTEST-BEGIN "
	markerEnd   = "BOOTTEST-END "
	markerDone  = "BOOTTEST-DONE"
)

// boottestScript waits until systemd has finished booting (the unit is
// Type=simple, so it does not hold the boot up), reports, and powers off.
// systemd-analyze would take 3-5 s under TCG; systemctl show gives the
// same timestamps.
const boottestScript = `#!/bin/sh
m() { echo "BOOTTEST $*"; }
block() { n=$1; shift; echo "BOOTTEST-BEGIN $n"; "$@" 2>&1; rc=$?; read -r up _ < /proc/uptime; echo "BOOTTEST-END $n rc=$rc uptime=$up"; }
i=0
while s=$(systemctl is-system-running); [ "$s" = starting ] || [ "$s" = initializing ]; do
	i=$((i+1)); [ $i -gt 600 ] && break; sleep 0.2
done
m system_state=$s
m pid1=$(cat /proc/1/comm)
m boot_id=$(cat /proc/sys/kernel/random/boot_id)
m cmdline=$(cat /proc/cmdline)
m uptime=$(cut -d' ' -f1 /proc/uptime)
block startup systemctl show -p UserspaceTimestampMonotonic -p FinishTimestampMonotonic
block mountinfo cat /proc/self/mountinfo
block gostree-status gostree admin status
block ostree-status ostree admin status
block health-active systemctl is-active gostree-health.service
block remount-active systemctl is-active gostree-remount.service
m generator_remount=$(test -L /run/systemd/generator/local-fs.target.requires/gostree-remount.service && echo yes || echo no)
block health-record sh -c 'f=$(ls -1 /var/lib/gostree/health/boot-*.json | tail -n 1) && cat "$f"'
block failed systemctl --failed --plain --no-legend --no-pager
block var-mount systemctl show -p ActiveState -p FragmentPath var.mount
m uptime_done=$(cut -d' ' -f1 /proc/uptime)
echo BOOTTEST-DONE
sync
systemctl --force poweroff
`

// boottestUnit starts the report once everything that counts as "booted"
// has been started; the script then waits for the boot to finish.
const boottestUnit = `[Unit]
Description=gostree boot test report
Wants=boot-complete.target
After=boot-complete.target multi-user.target gostree-health.service

[Service]
Type=simple
ExecStart=/usr/libexec/gostree-boottest
StandardOutput=tty
StandardError=tty
TTYPath=/dev/console

[Install]
WantedBy=multi-user.target
`

// enableUnit links unit (found under root's usr/lib/systemd/system or
// etc/systemd/system) into the wants/requires dirs its [Install] section
// names, under root/etc, as "systemctl enable" would.
func enableUnit(root, unit string) error {
	var path string
	for _, d := range []string{"etc/systemd/system", "usr/lib/systemd/system", "lib/systemd/system"} {
		if p := filepath.Join(root, d, unit); fileExists(p) {
			path = "/" + filepath.Join(d, unit)
			break
		}
	}
	if path == "" {
		return fmt.Errorf("enable %s: no unit file under %s", unit, root)
	}
	f, err := os.Open(filepath.Join(root, path))
	if err != nil {
		return fmt.Errorf("enable %s: %w", unit, err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		suffix := map[string]string{"WantedBy": ".wants", "RequiredBy": ".requires"}[strings.TrimSpace(k)]
		if !ok || suffix == "" {
			continue
		}
		for _, target := range strings.Fields(v) {
			dir := filepath.Join(root, "etc/systemd/system", target+suffix)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("enable %s: %w", unit, err)
			}
			link := filepath.Join(dir, unit)
			os.Remove(link)
			if err := os.Symlink(path, link); err != nil {
				return fmt.Errorf("enable %s: %w", unit, err)
			}
			n++
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("enable %s: read %s: %w", unit, path, err)
	}
	if n == 0 {
		return fmt.Errorf("enable %s: %s has no WantedBy= or RequiredBy=", unit, path)
	}
	return nil
}

// maskUnits links each unit to /dev/null under root/etc/systemd/system.
func maskUnits(root string, units []string) error {
	dir := filepath.Join(root, "etc/systemd/system")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, u := range units {
		p := filepath.Join(dir, u)
		os.Remove(p)
		if err := os.Symlink("/dev/null", p); err != nil {
			return fmt.Errorf("mask %s: %w", u, err)
		}
	}
	// Masking a unit leaves dangling wants links; systemd ignores them, but
	// removing them keeps "systemctl --failed" free of noise.
	for _, u := range units {
		links, _ := filepath.Glob(filepath.Join(dir, "*.wants", u))
		for _, l := range links {
			os.Remove(l)
		}
	}
	return nil
}

// installBoottest writes the report script and unit into root and enables it.
func installBoottest(ctx context.Context, root string) error {
	if err := writeFile(filepath.Join(root, "usr/libexec/gostree-boottest"), boottestScript, 0o755); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(root, "etc/systemd/system/gostree-boottest.service"), boottestUnit, 0o644); err != nil {
		return err
	}
	return enableUnit(root, "gostree-boottest.service")
}

func writeFile(path, content string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
