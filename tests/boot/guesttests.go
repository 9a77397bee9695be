package boot

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// GuestTest is a Go test binary (go test -c, CGO_ENABLED=0) that
// RunGuestTests runs in a guest booted straight into a busybox initramfs:
// for tests the host kernel cannot run, such as fs-verity's positive paths.
type GuestTest struct {
	Name string   // marker name, e.g. "fsverity"
	Pkg  string   // package, relative to the module root: "./internal/fsverity"
	Args []string // test binary arguments, e.g. "-test.run=^TestX$"; -test.v is added
}

// GuestTestsOptions describe one guest run.
type GuestTestsOptions struct {
	Kernel *Kernel
	Dir    string            // scratch directory (binaries, disk, initramfs, console log)
	Tests  []GuestTest       // run in order
	Files  map[string]string // more files on the tests disk: path under /mnt -> host path
	Env    []string          // the tests' environment (besides PATH, HOME, TMPDIR)
	// MemoryMiB of the guest (768 when zero); /tmp is a tmpfs of half of it.
	MemoryMiB int
}

// GuestResult is one test binary's outcome in the guest.
type GuestResult struct {
	RC     int    // exit status; -1 when it never finished
	Output string // its console lines
}

// scriptInit is the /init of BootScript's guests: modules, /proc, /sys,
// /dev, a tmpfs /tmp, then the script, then poweroff.
const scriptInit = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs tmp /tmp; mount -t tmpfs run /run
for m in $MODULES; do insmod /lib/modules/$m.ko || echo "guest: insmod $m failed"; done
i=0; while [ ! -b /dev/vda ]; do i=$((i+1)); [ $i -gt 100 ] && break; sleep 0.1; done
echo "GUEST-KERNEL release=$(uname -r) ext4-verity=$([ -e /sys/fs/ext4/features/verity ] && echo yes || echo no)"
`

// ScriptOptions describe a guest booted straight into a busybox initramfs
// (qemu -kernel, no firmware menu or GRUB) that runs a shell script.
type ScriptOptions struct {
	Kernel    *Kernel
	Dir       string            // scratch directory for the initramfs and the console log
	Name      string            // names the initramfs and console log files
	Script    string            // busybox sh, run as PID 1 after scriptInit's setup; poweroff follows
	Files     map[string]string // more initramfs files: path -> host path (e.g. /bin/gostree)
	Disks     []string          // virtio disks vda, vdb, ...
	MemoryMiB int               // 768 when zero
}

// BootScript boots o's guest and waits until it powers off (GUEST-DONE is
// printed first), returning the run.
func BootScript(ctx context.Context, o ScriptOptions, timeout time.Duration) (*Run, error) {
	initrd := filepath.Join(o.Dir, o.Name+"-initramfs.img")
	script := scriptInit + o.Script + "\necho GUEST-DONE; sync; poweroff -f\n"
	if err := BuildInitramfs(ctx, InitramfsOptions{Kernel: o.Kernel, Init: script, Files: o.Files}, initrd); err != nil {
		return nil, err
	}
	mem := o.MemoryMiB
	if mem == 0 {
		mem = 768
	}
	m := &Machine{Kernel: o.Kernel.Vmlinuz, Initrd: initrd, Append: "console=ttyS0 quiet panic=-1",
		Disks: o.Disks, MemoryMiB: mem, ConsoleLog: filepath.Join(o.Dir, o.Name+".console.log"), Extra: []string{"-no-reboot"}}
	r, err := m.Start(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.Wait(timeout); err != nil {
		return r, err
	}
	if !r.Contains("GUEST-DONE") {
		return r, fmt.Errorf("%s: the guest stopped before its script ended; console tail:\n%s", o.Name, r.Tail(40))
	}
	return r, nil
}

// guestTestsScript runs /mnt/run-tests.sh from the tests disk.
const guestTestsScript = `mkdir -p /mnt; mount -t ext4 -o ro /dev/vda /mnt || echo "GUEST-FAIL: mount /dev/vda"
[ -f /mnt/run-tests.sh ] && . /mnt/run-tests.sh
`

var guestEndRe = regexp.MustCompile(`^GUEST-TEST-END (\S+) rc=(\d+)`)

// RunGuestTests builds the test binaries, puts them and Files on an ext4
// disk, boots the kernel with a busybox initramfs that runs them one after
// the other (each between GUEST-TEST-BEGIN NAME and GUEST-TEST-END NAME
// rc=N markers) and waits for the guest to power off. It returns the run
// (console, times) and each test's result by name.
func RunGuestTests(ctx context.Context, o GuestTestsOptions, timeout time.Duration) (*Run, map[string]GuestResult, error) {
	stage := filepath.Join(o.Dir, "tests-disk")
	if err := os.MkdirAll(filepath.Join(stage, "bin"), 0o755); err != nil {
		return nil, nil, err
	}
	root, err := ModuleRoot(ctx)
	if err != nil {
		return nil, nil, err
	}
	var script strings.Builder
	script.WriteString("export HOME=/tmp TMPDIR=/tmp")
	for _, e := range o.Env {
		script.WriteString(" " + shellQuote(e))
	}
	script.WriteString("\n")
	for _, gt := range o.Tests {
		bin := filepath.Join(stage, "bin", gt.Name+".test")
		cmd := exec.CommandContext(ctx, "go", "test", "-c", "-trimpath", "-o", bin, gt.Pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, nil, fmt.Errorf("go test -c %s: %w: %s", gt.Pkg, err, tail(string(msg), 20))
		}
		args := []string{"/mnt/bin/" + gt.Name + ".test", "-test.v", "-test.count=1"}
		for _, a := range gt.Args {
			args = append(args, shellQuote(a))
		}
		fmt.Fprintf(&script, "echo 'GUEST-TEST-BEGIN %s'\n(cd /tmp && %s 2>&1)\necho \"GUEST-TEST-END %s rc=$?\"\n", gt.Name, strings.Join(args, " "), gt.Name)
	}
	if err := os.WriteFile(filepath.Join(stage, "run-tests.sh"), []byte(script.String()), 0o644); err != nil {
		return nil, nil, err
	}
	for dst, src := range o.Files {
		if err := copyFile(src, filepath.Join(stage, dst)); err != nil {
			return nil, nil, err
		}
	}
	disk := filepath.Join(o.Dir, "tests.img")
	if err := MakeDisk(ctx, stage, disk, "gtests", "400M"); err != nil {
		return nil, nil, err
	}
	r, werr := BootScript(ctx, ScriptOptions{Kernel: o.Kernel, Dir: o.Dir, Name: "guest-tests", Script: guestTestsScript,
		Disks: []string{disk}, MemoryMiB: o.MemoryMiB}, timeout)
	if r == nil {
		return nil, nil, werr
	}
	res := map[string]GuestResult{}
	var cur []string
	name := ""
	for _, l := range r.Lines() {
		if n, ok := strings.CutPrefix(l, "GUEST-TEST-BEGIN "); ok {
			name, cur = strings.TrimSpace(n), nil
			res[name] = GuestResult{RC: -1}
			continue
		}
		if m := guestEndRe.FindStringSubmatch(l); m != nil && m[1] == name {
			rc, _ := strconv.Atoi(m[2])
			res[name] = GuestResult{RC: rc, Output: strings.Join(cur, "\n")}
			name = ""
			continue
		}
		if name != "" {
			cur = append(cur, l)
			res[name] = GuestResult{RC: -1, Output: strings.Join(cur, "\n")}
		}
	}
	return r, res, werr
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
