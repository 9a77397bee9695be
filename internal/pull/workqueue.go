package pull

import (
	"sync"

	"github.com/gostree/gostree/internal/object"
)

// workQueue is a FIFO of content objects to import: scanning trees
// pushes, workers pop. It holds at most queueLimit objects, so that what
// a pull keeps in memory for the objects it has found but not imported
// yet does not grow with the size of the tree; that is still thousands
// of objects ahead of the workers, which hides the latency of metadata
// fetches.
type workQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond // items or closed
	notFull *sync.Cond
	items   []object.Checksum
	closed  bool
}

const queueLimit = 16384

func newWorkQueue() *workQueue {
	q := &workQueue{}
	q.cond = sync.NewCond(&q.mu)
	q.notFull = sync.NewCond(&q.mu)
	return q
}

// push queues c, waiting while the queue is full.
func (q *workQueue) push(c object.Checksum) {
	q.mu.Lock()
	for len(q.items) >= queueLimit && !q.closed {
		q.notFull.Wait()
	}
	if !q.closed {
		if len(q.items) == cap(q.items) && len(q.items) > 0 {
			// Move the items to the front instead of growing: pops
			// slice them off the front.
			q.items = append(make([]object.Checksum, 0, max(2*len(q.items), 64)), q.items...)
		}
		q.items = append(q.items, c)
		q.cond.Signal()
	}
	q.mu.Unlock()
}

// pop waits for an item; it reports false once the queue is closed and
// empty.
func (q *workQueue) pop() (object.Checksum, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.cond.Wait()
	}
	if len(q.items) == 0 {
		return object.Checksum{}, false
	}
	c := q.items[0]
	q.items = q.items[1:]
	if len(q.items) < queueLimit {
		q.notFull.Signal()
	}
	return c, true
}

// close lets workers finish what is queued, then stop.
func (q *workQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.notFull.Broadcast()
	q.mu.Unlock()
}

// abort drops what is queued and stops the workers.
func (q *workQueue) abort() {
	q.mu.Lock()
	q.closed = true
	q.items = nil
	q.cond.Broadcast()
	q.notFull.Broadcast()
	q.mu.Unlock()
}
