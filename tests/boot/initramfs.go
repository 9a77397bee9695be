package boot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultPrepareRootPath is where the initramfs holds gostree-prepare-root.
const DefaultPrepareRootPath = "/usr/lib/gostree/gostree-prepare-root"

// InitramfsOptions describe a busybox initramfs whose /init mounts root= at
// /sysroot and runs a prepare-root binary on it.
type InitramfsOptions struct {
	Kernel          *Kernel
	PrepareRoot     string            // host path of the prepare-root binary
	PrepareRootPath string            // its path in the initramfs; DefaultPrepareRootPath when empty
	PrepareRootArgs string            // its arguments (shell words); "/sysroot" when empty
	Files           map[string]string // extra files: initramfs path -> host path (e.g. libraries, the loader)
	Init            string            // another /init script (busybox sh; $MODULES set); PrepareRoot may be empty then
}

// initScript is the initramfs /init. On failure it reboots, so that GRUB's
// boot counter sees a failed boot.
const initScript = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
fail() { echo "INITRAMFS-FAIL: $*"; sleep 2; reboot -f; }
ms() { read up _ < /proc/uptime; f=${up#*.}; echo $(( ${up%%.*} * 1000 + ${f#0} * 10 )); }
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs run /run
for m in $MODULES; do insmod /lib/modules/$m.ko || echo "initramfs: insmod $m failed"; done
ROOT= INIT=/sbin/init
for a in $(cat /proc/cmdline); do case $a in root=*) ROOT=${a#root=};; init=*) INIT=${a#init=};; esac; done
i=0; while [ ! -b "$ROOT" ]; do i=$((i+1)); [ $i -gt 100 ] && fail "root device $ROOT did not appear in 10s"; sleep 0.1; done
mount -t ext4 -o rw "$ROOT" /sysroot || fail "mount $ROOT on /sysroot"
mkdir -p /run/ostree && touch /run/ostree/initramfs-mount-var
t0=$(ms)
$PREPARE_ROOT $PREPARE_ROOT_ARGS || fail "$PREPARE_ROOT $PREPARE_ROOT_ARGS exited $?"
echo "PREPARE-ROOT-MS=$(( $(ms) - t0 ))"
for d in dev proc sys run; do mount --move /$d /sysroot/$d || fail "mount --move /$d /sysroot/$d"; done
exec switch_root /sysroot "$INIT"
`

// BuildInitramfs writes a gzip'd newc cpio archive to out.
func BuildInitramfs(ctx context.Context, o InitramfsOptions, out string) error {
	if o.PrepareRootPath == "" {
		o.PrepareRootPath = DefaultPrepareRootPath
	}
	if o.PrepareRootArgs == "" {
		o.PrepareRootArgs = "/sysroot"
	}
	stage, err := os.MkdirTemp(filepath.Dir(out), "initramfs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	for _, d := range []string{"bin", "dev", "proc", "sys", "run", "sysroot", "tmp", "lib/modules"} {
		if err := os.MkdirAll(filepath.Join(stage, d), 0o755); err != nil {
			return err
		}
	}
	files := map[string]string{"/bin/busybox": "/bin/busybox"}
	if o.PrepareRoot != "" {
		files[o.PrepareRootPath] = o.PrepareRoot
	}
	for _, m := range Modules {
		files["/lib/modules/"+m+".ko"] = filepath.Join(o.Kernel.ModDir, m+".ko")
	}
	for dst, src := range o.Files {
		files[dst] = src
	}
	for dst, src := range files {
		if err := copyFile(src, filepath.Join(stage, dst)); err != nil {
			return fmt.Errorf("initramfs %s: %w", dst, err)
		}
	}
	head := fmt.Sprintf("MODULES=%q\nPREPARE_ROOT=%q\nPREPARE_ROOT_ARGS=%q\n", strings.Join(Modules, " "), o.PrepareRootPath, o.PrepareRootArgs)
	script := initScript
	if o.Init != "" {
		script = o.Init
	}
	script = strings.Replace(script, "export PATH=/bin\n", "export PATH=/bin\n"+head, 1)
	if err := os.WriteFile(filepath.Join(stage, "init"), []byte(script), 0o755); err != nil {
		return err
	}
	_, err = run(ctx, stage, "sh", "-c", `find . | sort | cpio -o -H newc --quiet | gzip -1 > "$1"`, "pack", out)
	return err
}

// copyFile copies src to dst (parents created), keeping the mode bits.
func copyFile(src, dst string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, st.Mode().Perm())
}
