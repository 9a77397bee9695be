package progress

import (
	"sync"
	"time"
)

// Ticker samples an operation's counters and reports them until stopped.
type Ticker struct {
	r      *Reporter
	sample func() Snapshot
	stop   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

// Start reports sample() on r every interval (DefaultInterval when 0)
// from a goroutine of its own, which Stop ends. With an inactive r it
// starts nothing.
func Start(r *Reporter, interval time.Duration, sample func() Snapshot) *Ticker {
	t := &Ticker{r: r, sample: sample, stop: make(chan struct{})}
	if !r.Active() {
		return t
	}
	if interval <= 0 {
		interval = DefaultInterval
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		r.Update(sample())
		for {
			select {
			case <-t.stop:
				return
			case <-tick.C:
				r.Update(sample())
			}
		}
	}()
	return t
}

// Stop ends the sampling, waits for it, and finishes the report with a
// last sample and err. Later calls do nothing.
func (t *Ticker) Stop(err error) {
	t.once.Do(func() {
		close(t.stop)
		t.wg.Wait()
		if t.r.Active() {
			t.r.Finish(t.sample(), err)
		}
	})
}
