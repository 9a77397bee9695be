package health

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// TailLines is how many of a check's last output lines a record keeps.
const TailLines = 20

const maxLine = 4096 // longer output lines are cut in the record and the log

// script is one check, green or red script found on disk.
type script struct {
	name    string // basename
	path    string // as seen inside the root, for records and logs
	file    string // where to execute it
	shell   bool   // *.sh: run through bash or sh
	timeout time.Duration
}

// execScript runs s in its own process group, streaming its output with a
// "name: " prefix to out, and kills the group (SIGTERM, then SIGKILL after
// grace) when the timeout passes or ctx ends.
func execScript(ctx context.Context, s script, out *lockedWriter, grace time.Duration) CheckResult {
	res := CheckResult{Name: s.name, Path: s.path, Timeout: s.timeout}
	argv := []string{s.file}
	if s.shell {
		sh := "/bin/sh"
		if p, err := exec.LookPath("bash"); err == nil {
			sh = p
		}
		argv = []string{sh, s.file}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r, w, err := os.Pipe()
	if err != nil {
		res.ExitStatus, res.Output = 126, err.Error()
		return res
	}
	defer r.Close()
	cmd.Stdout, cmd.Stderr = w, w
	start := time.Now()
	err = cmd.Start()
	w.Close()
	if err != nil {
		res.ExitStatus = 126
		if errors.Is(err, os.ErrNotExist) {
			res.ExitStatus = 127
		}
		res.Output = err.Error()
		out.printf("%s: %s\n", s.name, res.Output)
		return res
	}
	tail := make(chan string, 1)
	go func() { tail <- copyLines(r, s.name, out) }()

	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	pgid := cmd.Process.Pid
	select {
	case err = <-waited:
	case <-timer.C:
		res.TimedOut = true
		err = stop(pgid, waited, grace)
	case <-ctx.Done():
		res.TimedOut = true
		err = stop(pgid, waited, grace)
	}
	res.Duration = time.Since(start)
	// What the check left running in its group goes with it; a process that
	// left the group but holds the output open is not waited for long.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	_ = r.SetReadDeadline(time.Now().Add(grace))
	res.Output = <-tail
	res.ExitStatus = exitStatus(err)
	return res
}

// stop sends SIGTERM to the group, then SIGKILL if it has not exited
// within grace, and returns the leader's wait error.
func stop(pgid int, waited <-chan error, grace time.Duration) error {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case err := <-waited:
		return err
	case <-t.C:
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return <-waited
	}
}

func exitStatus(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 1
}

// copyLines prints each line of r with a prefix and returns the last
// TailLines lines.
func copyLines(r io.Reader, name string, out *lockedWriter) string {
	br := bufio.NewReaderSize(r, maxLine)
	var ring []string
	for {
		line, isPrefix, err := br.ReadLine()
		if len(line) > 0 || (err == nil && !isPrefix) {
			l := strings.ToValidUTF8(string(line), "\uFFFD")
			out.printf("%s: %s\n", name, l)
			if len(ring) == TailLines {
				ring = ring[1:]
			}
			ring = append(ring, l)
			for isPrefix && err == nil { // drop the rest of an overlong line
				_, isPrefix, err = br.ReadLine()
			}
		}
		if err != nil {
			break
		}
	}
	if len(ring) == 0 {
		return ""
	}
	return strings.Join(ring, "\n") + "\n"
}

// lockedWriter serialises log lines from concurrent readers.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, args...)
}
