package progress

import (
	"fmt"
	"strings"
	"time"
)

// Bar sizes, in columns.
const (
	minBar = 10
	maxBar = 40
)

// line is what the bar shows, before it is fitted to a width.
type line struct {
	label       string
	done, total int64
	bytes       int64
	rate        float64 // bytes per second; < 0 when unknown
	eta         time.Duration
	hasETA      bool
}

// render lays l out in at most width-1 columns (the last column is left
// free so that terminals do not wrap). Parts are dropped, least useful
// first, when they do not fit: the bar, the ETA, the rate, the bytes.
func (l line) render(width int) string {
	avail := width - 1
	head := l.label + ":"
	pct := ""
	counts := fmt.Sprintf(" %d", l.done)
	if l.total > 0 {
		p := min(l.done*100/l.total, 100)
		pct = fmt.Sprintf(" %3d%%", p)
		counts = fmt.Sprintf(" %d/%d", l.done, l.total)
	}
	var bytes, rate, eta string
	if l.bytes > 0 {
		bytes = " " + FormatBytes(l.bytes)
		if l.rate >= 0 {
			rate = " " + FormatBytes(int64(l.rate)) + "/s"
		}
	}
	if l.hasETA {
		eta = " ETA " + formatETA(l.eta)
	}
	tail := func() string { return counts + bytes + rate + eta }
	fixed := len(head) + len(pct) + len(tail())
	if l.total > 0 && avail-fixed-3 >= minBar {
		// " [" + fill + "]"
		n := min(avail-fixed-3, maxBar)
		filled := int(int64(n) * min(l.done, l.total) / l.total)
		return head + pct + " [" + strings.Repeat("#", filled) + strings.Repeat(" ", n-filled) + "]" + tail()
	}
	for _, drop := range []*string{&eta, &rate, &bytes} {
		if len(head)+len(pct)+len(tail()) <= avail {
			break
		}
		*drop = ""
	}
	s := head + pct + tail()
	if len(s) > avail {
		s = s[:max(avail, 0)]
	}
	return s
}

// FormatBytes writes n in IEC units with one decimal ("512 B",
// "3.4 MiB").
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		v /= unit
		if v < unit || u == "TiB" {
			return fmt.Sprintf("%.1f %s", v, u)
		}
	}
	panic("unreachable")
}

// formatETA writes d as m:ss, or h:mm:ss from an hour on.
func formatETA(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
