package progress

import "time"

// rateWindow is how far back rates are measured: long enough to smooth
// bursts of small objects, short enough to follow a changing link.
const rateWindow = 5 * time.Second

type sample struct {
	at          time.Time
	done, bytes int64
}

// meter estimates rates from the samples of the last rateWindow.
type meter struct {
	samples []sample // oldest first
}

// add records a sample and forgets those older than the window, keeping
// one at or beyond its start as the baseline.
func (m *meter) add(s sample) {
	m.samples = append(m.samples, s)
	cut := 0
	for cut+1 < len(m.samples) && s.at.Sub(m.samples[cut+1].at) >= rateWindow {
		cut++
	}
	if cut > 0 {
		m.samples = append(m.samples[:0], m.samples[cut:]...)
	}
}

// rates returns bytes and units per second over the window; ok is false
// until two samples span some time.
func (m *meter) rates() (bytesPerSec, donePerSec float64, ok bool) {
	if len(m.samples) < 2 {
		return 0, 0, false
	}
	first, last := m.samples[0], m.samples[len(m.samples)-1]
	secs := last.at.Sub(first.at).Seconds()
	if secs <= 0 {
		return 0, 0, false
	}
	return float64(last.bytes-first.bytes) / secs, float64(last.done-first.done) / secs, true
}

// eta estimates the time left to finish total units, or reports false
// when it cannot (no total, or no recent progress).
func (m *meter) eta(done, total int64) (time.Duration, bool) {
	_, perSec, ok := m.rates()
	if !ok || total <= 0 || done >= total || perSec <= 0 {
		return 0, false
	}
	return time.Duration(float64(total-done) / perSec * float64(time.Second)), true
}
