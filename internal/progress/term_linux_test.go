package progress

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gostree/gostree/internal/testutil"
)

// openPTY opens a pseudo-terminal pair with the given width.
func openPTY(t *testing.T, cols uint16) (ptmx, pts *os.File) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		testutil.Skip(t, "no pseudo-terminals: "+err.Error())
	}
	t.Cleanup(func() { ptmx.Close() })
	fd := int(ptmx.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pts.Close() })
	if err := unix.IoctlSetWinsize(int(pts.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: cols}); err != nil {
		t.Fatal(err)
	}
	return ptmx, pts
}

func TestTerminalDetection(t *testing.T) {
	_, pts := openPTY(t, 132)
	if !IsTerminal(pts.Fd()) {
		t.Fatal("IsTerminal(pts) = false")
	}
	if w := TerminalWidth(pts.Fd()); w != 132 {
		t.Errorf("TerminalWidth = %d, want 132", w)
	}
	r := New(Options{Out: pts})
	if !r.Drawing() {
		t.Error("no bar on a terminal")
	}
	if w := r.width(); w != 132 {
		t.Errorf("reporter width = %d, want 132", w)
	}
	f, err := os.Create(t.TempDir() + "/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f.Fd()) {
		t.Error("IsTerminal(regular file) = true")
	}
	if w := TerminalWidth(f.Fd()); w != defaultWidth {
		t.Errorf("TerminalWidth(regular file) = %d, want %d", w, defaultWidth)
	}
}
