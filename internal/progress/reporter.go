package progress

import (
	"io"
	"os"
	"sync"
	"time"
)

// DefaultInterval is how often the bar is redrawn and JSON lines are
// written, at most.
const DefaultInterval = 100 * time.Millisecond

// defaultWidth is used when the terminal's width cannot be read.
const defaultWidth = 80

// Options configure a Reporter.
type Options struct {
	// Out receives the bar. It is drawn only when Out is an *os.File on
	// a terminal, or when Terminal is set.
	Out io.Writer
	// Terminal draws the bar on Out whatever Out is (tests).
	Terminal bool
	// Width returns the terminal's width in columns; by default it is
	// read from Out (80 when that fails).
	Width func() int
	// JSON, when set, receives one JSON object per line for each report
	// and a final one of type "done".
	JSON io.Writer
	// Now is the clock (time.Now by default).
	Now func() time.Time
	// Interval is the least time between two reports of the same phase
	// (DefaultInterval when 0).
	Interval time.Duration
	// DoneKey and TotalKey name Snapshot.Done and Snapshot.Total in the
	// JSON stream ("done" and "total" by default).
	DoneKey, TotalKey string
}

// Reporter renders snapshots as a bar and as JSON lines. Its methods may
// be called from any goroutine. With no terminal and no JSON writer it
// does nothing.
type Reporter struct {
	bar               io.Writer // nil: no bar
	width             func() int
	json              io.Writer
	now               func() time.Time
	interval          time.Duration
	doneKey, totalKey string

	mu       sync.Mutex
	start    time.Time
	last     time.Time // of the last report
	phase    string
	reported bool
	drawn    bool // a bar is on screen
	finished bool
	meter    meter
	buf      []byte
}

// New makes a Reporter.
func New(opts Options) *Reporter {
	r := &Reporter{
		width: opts.Width, json: opts.JSON, now: opts.Now, interval: opts.Interval,
		doneKey: opts.DoneKey, totalKey: opts.TotalKey,
	}
	if opts.Out != nil {
		if f, ok := opts.Out.(*os.File); ok && IsTerminal(f.Fd()) {
			r.bar = opts.Out
			if r.width == nil {
				r.width = func() int { return TerminalWidth(f.Fd()) }
			}
		} else if opts.Terminal {
			r.bar = opts.Out
		}
	}
	if r.width == nil {
		r.width = func() int { return defaultWidth }
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.interval <= 0 {
		r.interval = DefaultInterval
	}
	if r.doneKey == "" {
		r.doneKey = "done"
	}
	if r.totalKey == "" {
		r.totalKey = "total"
	}
	r.start = r.now()
	return r
}

// Active reports whether r writes anything at all.
func (r *Reporter) Active() bool { return r.bar != nil || r.json != nil }

// Drawing reports whether r draws a bar.
func (r *Reporter) Drawing() bool { return r.bar != nil }

// Update reports s, unless the last report of the same phase was less
// than the interval ago.
func (r *Reporter) Update(s Snapshot) {
	if !r.Active() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	now := r.now()
	if r.reported && s.Phase == r.phase && now.Sub(r.last) < r.interval {
		return
	}
	r.reported, r.last, r.phase = true, now, s.Phase
	r.meter.add(sample{at: now, done: s.Done, bytes: s.Bytes})
	rate, eta, hasETA := r.estimates(s)
	if r.bar != nil {
		l := line{label: s.Label, done: s.Done, total: s.Total, bytes: s.Bytes, rate: rate, eta: eta, hasETA: hasETA}
		if l.label == "" {
			l.label = s.Phase
		}
		r.buf = append(append(append(r.buf[:0], '\r'), l.render(r.width())...), clearEOL...)
		_, _ = r.bar.Write(r.buf) // progress never fails the operation
		r.drawn = true
	}
	if r.json != nil {
		r.buf = r.appendJSON(r.buf[:0], "progress", s, now.Sub(r.start), rate, eta, hasETA, nil)
		_, _ = r.json.Write(r.buf) // a reader that went away is not an error of ours
	}
}

// Finish clears the bar and writes the final JSON line with s and, when
// the operation failed, err. Later calls do nothing.
func (r *Reporter) Finish(s Snapshot, err error) {
	if !r.Active() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.finished = true
	if r.drawn {
		_, _ = io.WriteString(r.bar, "\r"+clearEOL)
		r.drawn = false
	}
	if r.json != nil {
		now := r.now()
		elapsed := now.Sub(r.start)
		rate := -1.0
		if secs := elapsed.Seconds(); secs > 0 {
			rate = float64(s.Bytes) / secs
		}
		r.buf = r.appendJSON(r.buf[:0], "done", s, elapsed, rate, 0, false, err)
		_, _ = r.json.Write(r.buf)
	}
}

// clearEOL erases from the cursor to the end of the line (ANSI EL).
const clearEOL = "\x1b[K"

// estimates returns the recent byte rate (-1 when unknown) and the time
// left.
func (r *Reporter) estimates(s Snapshot) (float64, time.Duration, bool) {
	rate := -1.0
	if b, _, ok := r.meter.rates(); ok {
		rate = b
	}
	eta, ok := r.meter.eta(s.Done, s.Total)
	return rate, eta, ok
}
