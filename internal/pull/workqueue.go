package pull

import (
	"sync"

	"github.com/gostree/gostree/internal/object"
)

// workQueue is an unbounded FIFO of content objects to import: scanning
// trees pushes without ever blocking, workers pop.
type workQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []object.Checksum
	closed bool
}

func newWorkQueue() *workQueue {
	q := &workQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *workQueue) push(c object.Checksum) {
	q.mu.Lock()
	if !q.closed {
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
	q.items[0] = object.Checksum{}
	q.items = q.items[1:]
	return c, true
}

// close lets workers finish what is queued, then stop.
func (q *workQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}

// abort drops what is queued and stops the workers.
func (q *workQueue) abort() {
	q.mu.Lock()
	q.closed = true
	q.items = nil
	q.cond.Broadcast()
	q.mu.Unlock()
}
