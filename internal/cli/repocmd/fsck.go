package repocmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/cli/clikit"
	"github.com/gostree/gostree/internal/fsck"
)

// Fsck sets up `ostree fsck`.
func Fsck(in *clikit.Invocation) func([]string) error {
	var quiet, del, all, tombstones, bindings, backRefs bool
	in.Flag("add-tombstones", 0, "Add tombstones for missing commits", &tombstones)
	in.Flag("quiet", 'q', "Only print error messages", &quiet)
	in.Flag("all", 'a', "Don't stop on first error", &all)
	in.Flag("delete", 0, "Remove corrupted objects", &del)
	in.Flag("verify-bindings", 0, "Verify ref bindings", &bindings)
	in.Flag("verify-back-refs", 0, "Verify back-references (implies --verify-bindings)", &backRefs)
	return func(args []string) error {
		r, err := in.OpenRepo()
		if err != nil {
			return err
		}
		rep := &fsckReporter{in: in, quiet: quiet, progress: newConsoleProgress(in.Stdout)}
		_, err = fsck.Run(in.Ctx, r, fsck.Options{
			Delete:         del,
			All:            all,
			AddTombstones:  tombstones,
			VerifyBindings: bindings,
			VerifyBackRefs: backRefs,
		}, rep)
		rep.progress.unlock()
		if err != nil {
			// fsck's errors carry the reference's wording.
			return errors.New(err.Error())
		}
		return nil
	}
}

// fsckReporter renders fsck.Reporter events like `ostree fsck`.
type fsckReporter struct {
	in       *clikit.Invocation
	quiet    bool
	progress *consoleProgress
}

func (f *fsckReporter) Phase(line string) {
	if !f.quiet {
		fmt.Fprintln(f.in.Stdout, line)
	}
}

func (f *fsckReporter) Info(line string) {
	f.progress.unlock()
	fmt.Fprintln(f.in.Stdout, line)
}

func (f *fsckReporter) Problem(line string) { fmt.Fprintln(f.in.Stderr, line) }

func (f *fsckReporter) Progress(done, total int) {
	f.progress.nItems("fsck objects", done, total)
}

// consoleProgress renders progress like libglnx's console helpers: on a
// terminal a redrawn line with a bar, otherwise one "TEXT N%" line per
// update at most once a second (the last update, at 100%, always shows).
type consoleProgress struct {
	w      io.Writer
	tty    bool
	locked bool
	last   time.Time
}

func newConsoleProgress(w io.Writer) *consoleProgress {
	p := &consoleProgress{w: w}
	if f, ok := w.(*os.File); ok {
		if _, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err == nil {
			p.tty = true
		}
	}
	return p
}

func (p *consoleProgress) columns() int {
	if f, ok := p.w.(*os.File); ok {
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
			return int(ws.Col)
		}
	}
	return 80
}

func (p *consoleProgress) lock() {
	if p.locked {
		return
	}
	p.locked = true
	if p.tty {
		io.WriteString(p.w, "\x1b7")
	}
}

func (p *consoleProgress) unlock() {
	if !p.locked {
		return
	}
	p.locked = false
	if p.tty {
		io.WriteString(p.w, "\n")
	}
}

// nItems is glnx_console_progress_n_items.
func (p *consoleProgress) nItems(text string, current, total int) {
	if total <= 0 {
		return
	}
	pct := 100
	if current != total {
		pct = int(float64(current) / float64(total) * 100)
	}
	p.textPercent(fmt.Sprintf("%s (%d/%d)", text, current, total), pct)
}

func (p *consoleProgress) textPercent(text string, pct int) {
	p.lock()
	now := time.Now()
	if pct != 100 {
		limit := time.Second
		if p.tty {
			limit = 200 * time.Millisecond
		}
		if now.Sub(p.last) < limit {
			return
		}
	}
	p.last = now
	if !p.tty {
		fmt.Fprintf(p.w, "%s %d%%\n", text, pct)
		return
	}
	cols := p.columns()
	const barMin = 10
	if cols < barMin {
		return
	}
	textlen := min(len(text), cols-barMin)
	barlen := min(20, cols-(textlen+1))
	var b strings.Builder
	b.WriteString("\x1b8")
	if textlen > 0 {
		b.WriteString(text[:textlen])
		b.WriteByte(' ')
	}
	inner := barlen - 2 - 5
	eq := int(float64(inner) * (float64(pct) / 100.0))
	b.WriteByte('[')
	b.WriteString(strings.Repeat("=", eq))
	b.WriteString(strings.Repeat(" ", inner-eq))
	b.WriteByte(']')
	fmt.Fprintf(&b, " %3d%%", pct)
	io.WriteString(p.w, b.String())
}
