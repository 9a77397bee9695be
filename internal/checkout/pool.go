package checkout

import (
	"context"
	"sync"
)

// pool runs tasks on a fixed set of workers. Tasks may submit more
// tasks; Wait returns once none is queued or running, or after the first
// error (queued tasks are then dropped). The queue is a stack, so a tree
// walk stays depth-first and few directories are open at once.
type pool struct {
	ctx context.Context

	mu      sync.Mutex
	cond    sync.Cond
	stack   []func() error
	running int
	idle    int // workers waiting for a task
	err     error
	wg      sync.WaitGroup
}

func newPool(ctx context.Context) *pool {
	p := &pool{ctx: ctx}
	p.cond.L = &p.mu
	return p
}

// submit queues a task.
func (p *pool) submit(task func() error) {
	p.mu.Lock()
	p.stack = append(p.stack, task)
	wake := p.idle > 0
	p.mu.Unlock()
	if wake {
		p.cond.Signal()
	}
}

// fail records err as the pool's result unless one is already set.
func (p *pool) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.stack = nil
	p.mu.Unlock()
	p.cond.Broadcast()
}

func (p *pool) work() {
	defer p.wg.Done()
	p.mu.Lock()
	for {
		for len(p.stack) == 0 && p.running > 0 && p.err == nil {
			p.idle++
			p.cond.Wait()
			p.idle--
		}
		if p.err != nil || len(p.stack) == 0 {
			// Failed, or nothing queued and nothing running that could
			// queue more: done.
			p.mu.Unlock()
			p.cond.Broadcast()
			return
		}
		task := p.stack[len(p.stack)-1]
		p.stack[len(p.stack)-1] = nil
		p.stack = p.stack[:len(p.stack)-1]
		p.running++
		p.mu.Unlock()

		err := p.ctx.Err()
		if err == nil {
			err = task()
		}

		p.mu.Lock()
		p.running--
		if err != nil && p.err == nil {
			p.err = err
			p.stack = nil
		}
		if p.running == 0 || p.err != nil {
			p.cond.Broadcast()
		}
	}
}

// run starts the workers on what has been submitted so far, waits until
// all work is done and returns the first error.
func (p *pool) run(workers int) error {
	p.wg.Add(workers)
	for range workers {
		go p.work()
	}
	p.wg.Wait()
	return p.err
}
