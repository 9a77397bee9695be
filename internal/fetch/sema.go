package fetch

import (
	"context"
	"sync"
)

// Priority orders requests waiting for a free slot.
type Priority int

// Priorities: metadata is fetched before content, as libostree does, so
// that the walk of the tree discovers work as early as possible.
const (
	PriorityContent Priority = iota
	PriorityMetadata
	numPriorities
)

// sema is a counting semaphore whose waiters are served highest priority
// first, then in arrival order.
type sema struct {
	mu      sync.Mutex
	free    int
	waiters [numPriorities][]chan struct{}
}

func newSema(n int) *sema { return &sema{free: n} }

func (s *sema) acquire(ctx context.Context, p Priority) error {
	s.mu.Lock()
	if s.free > 0 && s.noWaitersAtOrAbove(p) {
		s.free--
		s.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	s.waiters[p] = append(s.waiters[p], ch)
	s.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		q := s.waiters[p]
		for i, w := range q {
			if w == ch {
				s.waiters[p] = append(q[:i:i], q[i+1:]...)
				s.mu.Unlock()
				return ctx.Err()
			}
		}
		s.mu.Unlock()
		// The slot was handed over as we gave up: pass it on.
		<-ch
		s.release()
		return ctx.Err()
	}
}

func (s *sema) noWaitersAtOrAbove(p Priority) bool {
	for q := p; q < numPriorities; q++ {
		if len(s.waiters[q]) > 0 {
			return false
		}
	}
	return true
}

func (s *sema) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p := numPriorities - 1; p >= 0; p-- {
		if q := s.waiters[p]; len(q) > 0 {
			ch := q[0]
			s.waiters[p] = q[1:]
			close(ch)
			return
		}
	}
	s.free++
}
