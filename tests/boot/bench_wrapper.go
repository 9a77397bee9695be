package boot

import (
	"fmt"
	"os"
	"path/filepath"
)

// wrapperPath is where a Wrapped prepare-root's script sits in the initramfs.
const wrapperPath = "/bin/prepare-root-wrapper"

// nowNS defines "now", which sets NOW to the kernel's monotonic clock in
// nanoseconds: the "now at N nsecs" line of /proc/timer_list, read with the
// shell's builtin read, forking nothing. busybox date has no %N, and
// /proc/uptime moves in 10 ms steps, too coarse to compare prepare-roots.
const nowNS = `now() { { read -r _; read -r _; read -r _ _ NOW _; } < /proc/timer_list; }`

// Wrapped runs a prepare-root binary from the initramfs through a script
// that times it (PREPARE-ROOT-US=) and, with NoVarMarker, first removes
// /run/ostree/initramfs-mount-var, so that /var is left to the generator.
// A Baseline program, run and timed first (BASELINE-US=), tells the cost of
// starting a process of its kind from the work done.
type Wrapped struct {
	Binary      string            // host path
	Path        string            // its path in the initramfs
	Libs        map[string]string // initramfs path -> host path
	NoVarMarker bool
	Baseline    string // host path of a program that exits 0 at once; none when empty
}

// baselinePath is where a Wrapped's Baseline sits in the initramfs.
const baselinePath = "/bin/baseline"

// InitramfsOptions writes the wrapper script into dir and returns the
// options that put it, the binary and its libraries into an initramfs.
func (w Wrapped) InitramfsOptions(k *Kernel, dir string) (InitramfsOptions, error) {
	rm := ""
	if w.NoVarMarker {
		rm = "rm -f /run/ostree/initramfs-mount-var\n"
	}
	base := ""
	if w.Baseline != "" {
		base = fmt.Sprintf("now; b0=$NOW; %s; brc=$?; now; echo \"BASELINE-US=$(( (NOW - b0) / 1000 )) rc=$brc\"\n", baselinePath)
	}
	// The clock's own cost, two reads back to back, is printed as clock_us.
	script := fmt.Sprintf("#!/bin/busybox sh\n%s\n%s%snow; c0=$NOW; now; t0=$NOW\n%q \"$@\"\nrc=$?\nnow; t1=$NOW\n"+
		"echo \"PREPARE-ROOT-US=$(( (t1 - t0) / 1000 )) rc=$rc clock_us=$(( (t0 - c0) / 1000 ))\"\nexit $rc\n", nowNS, rm, base, w.Path)
	host := filepath.Join(dir, "prepare-root-wrapper")
	if err := os.WriteFile(host, []byte(script), 0o755); err != nil {
		return InitramfsOptions{}, fmt.Errorf("wrapper %s: %w", host, err)
	}
	files := map[string]string{w.Path: w.Binary}
	if w.Baseline != "" {
		files[baselinePath] = w.Baseline
	}
	for k, v := range w.Libs {
		files[k] = v
	}
	return InitramfsOptions{Kernel: k, PrepareRoot: host, PrepareRootPath: wrapperPath, Files: files}, nil
}
