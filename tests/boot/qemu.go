package boot

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Machine is a qemu x86_64 guest (TCG, one CPU, no network) booting GRUB
// from ISO (or Kernel directly) with Disks as virtio disks vda, vdb, ...
// Reboots stay in the same qemu process and go through GRUB again.
type Machine struct {
	ISO        string
	Kernel     string // with Initrd and Append: boot this kernel directly (-kernel), no ISO
	Initrd     string
	Append     string
	Disks      []string // raw images
	MemoryMiB  int      // 512 when zero
	ConsoleLog string   // file receiving the raw serial console; none when empty
	Extra      []string // more qemu arguments
}

// Run is a started qemu process and its console.
type Run struct {
	Started time.Time
	cmd     *exec.Cmd
	mu      sync.Mutex
	cond    *sync.Cond
	lines   []string
	times   []time.Time // when each line arrived
	partial string
	exited  bool
	exitErr error
	ended   time.Time
	done    chan struct{}
}

// Start starts qemu; the context kills it.
func (m *Machine) Start(ctx context.Context) (*Run, error) {
	mem := m.MemoryMiB
	if mem == 0 {
		mem = 512
	}
	args := []string{"-accel", "tcg", "-m", strconv.Itoa(mem), "-smp", "1", "-nographic", "-nic", "none"}
	if m.Kernel != "" {
		args = append(args, "-kernel", m.Kernel, "-initrd", m.Initrd, "-append", m.Append)
	} else {
		args = append(args, "-boot", "d", "-cdrom", m.ISO)
	}
	for _, d := range m.Disks {
		args = append(args, "-drive", "file="+d+",format=raw,if=virtio")
	}
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", append(args, m.Extra...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	var log io.Writer = io.Discard
	var logFile *os.File
	if m.ConsoleLog != "" {
		if logFile, err = os.Create(m.ConsoleLog); err != nil {
			return nil, err
		}
		log = logFile
	}
	r := &Run{cmd: cmd, done: make(chan struct{})}
	r.cond = sync.NewCond(&r.mu)
	r.Started = time.Now()
	if err := cmd.Start(); err != nil {
		if logFile != nil {
			logFile.Close()
		}
		return nil, fmt.Errorf("start qemu: %w", err)
	}
	go r.read(out, log)
	return r, nil
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]|\r`)

// read splits the console into lines until qemu exits.
func (r *Run) read(out io.Reader, log io.Writer) {
	br := bufio.NewReader(out)
	buf := make([]byte, 4096)
	for {
		n, err := br.Read(buf)
		if n > 0 {
			log.Write(buf[:n])
			r.mu.Lock()
			s := r.partial + ansi.ReplaceAllString(string(buf[:n]), "")
			parts := strings.Split(s, "\n")
			r.lines = append(r.lines, parts[:len(parts)-1]...)
			for range parts[:len(parts)-1] {
				r.times = append(r.times, time.Now())
			}
			r.partial = parts[len(parts)-1]
			r.cond.Broadcast()
			r.mu.Unlock()
		}
		if err != nil {
			break
		}
	}
	werr := r.cmd.Wait()
	if c, ok := log.(io.Closer); ok {
		c.Close()
	}
	r.mu.Lock()
	if r.partial != "" {
		r.lines = append(r.lines, r.partial)
		r.times = append(r.times, time.Now())
		r.partial = ""
	}
	r.exited, r.exitErr, r.ended = true, werr, time.Now()
	r.cond.Broadcast()
	r.mu.Unlock()
	close(r.done)
}

// WaitFor waits until a console line at index >= from matches re and returns
// the line and its index. It fails when qemu exits first or after timeout
// (qemu keeps running then).
func (r *Run) WaitFor(re *regexp.Regexp, from int, timeout time.Duration) (string, int, error) {
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() { r.mu.Lock(); r.cond.Broadcast(); r.mu.Unlock() })
	defer timer.Stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := from; ; {
		for ; i < len(r.lines); i++ {
			if re.MatchString(r.lines[i]) {
				return r.lines[i], i, nil
			}
		}
		if r.exited {
			return "", i, fmt.Errorf("qemu exited (%v) before console line /%s/; console tail:\n%s", r.exitErr, re, r.tailLocked(40))
		}
		if time.Now().After(deadline) {
			return "", i, fmt.Errorf("no console line /%s/ within %s; console tail:\n%s", re, timeout, r.tailLocked(40))
		}
		r.cond.Wait()
	}
}

// Wait waits for qemu to exit; after timeout it kills qemu and fails with
// the console tail.
func (r *Run) Wait(timeout time.Duration) error {
	select {
	case <-r.done:
	case <-time.After(timeout):
		r.Kill()
		return fmt.Errorf("qemu still running after %s, killed; console tail:\n%s", timeout, r.Tail(40))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.exitErr != nil {
		return fmt.Errorf("qemu: %w; console tail:\n%s", r.exitErr, r.tailLocked(40))
	}
	return nil
}

// Kill kills qemu at once (a power cut for the guest) and waits for it.
func (r *Run) Kill() {
	if r.cmd.Process != nil {
		r.cmd.Process.Kill()
	}
	<-r.done
}

// Elapsed is the time from start to exit (or until now).
func (r *Run) Elapsed() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.exited {
		return r.ended.Sub(r.Started)
	}
	return time.Since(r.Started)
}

// Lines returns the console lines so far (ANSI escapes and CRs removed).
func (r *Run) Lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// Matching returns the console lines matching re.
func (r *Run) Matching(re *regexp.Regexp) []string {
	var out []string
	for _, l := range r.Lines() {
		if re.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

// Tail returns the last n console lines.
func (r *Run) Tail(n int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tailLocked(n)
}

func (r *Run) tailLocked(n int) string {
	l := r.lines
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// Boot is the console of one boot of the guest: from the firmware's banner
// to the next one (a reboot) or qemu's exit.
type Boot struct {
	Start, End time.Time
	Lines      []string
	Times      []time.Time // when each line arrived
}

// At returns the seconds from the boot's start to the first line
// containing s, or -1.
func (b Boot) At(s string) float64 {
	for i, l := range b.Lines {
		if strings.Contains(l, s) {
			return b.Times[i].Sub(b.Start).Seconds()
		}
	}
	return -1
}

// bootStart is the first line SeaBIOS prints on every reset.
var bootStart = regexp.MustCompile(`SeaBIOS \(version`)

// Boots splits the console into boots.
func (r *Run) Boots() []Boot {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Boot
	for i, l := range r.lines {
		if bootStart.MatchString(l) || len(out) == 0 {
			if len(out) > 0 {
				out[len(out)-1].End = r.times[i]
			}
			out = append(out, Boot{Start: r.times[i]})
		}
		out[len(out)-1].Lines = append(out[len(out)-1].Lines, l)
		out[len(out)-1].Times = append(out[len(out)-1].Times, r.times[i])
	}
	if len(out) > 0 {
		out[len(out)-1].End = time.Now()
		if r.exited {
			out[len(out)-1].End = r.ended
		}
	}
	return out
}

// Contains reports whether a console line contains s.
func (r *Run) Contains(s string) bool {
	for _, l := range r.Lines() {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}
