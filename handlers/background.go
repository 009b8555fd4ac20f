package handlers

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// pool runs the work that follows an acknowledgement: private answers,
// response_url posts, look-ups and joins that need Slack. A fixed number of
// workers take jobs from a bounded queue, so that a slow or silent Slack
// makes work wait rather than pile up goroutines; shutdown stops taking
// jobs, lets the queued ones finish, and cancels what is still running
// when its deadline comes.
type pool struct {
	once    sync.Once
	mu      sync.Mutex
	closed  bool
	jobs    chan job
	pending atomic.Int64 // queued or running
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

type job struct {
	ctx context.Context
	fn  func(context.Context)
}

const (
	// poolWorkers bounds the Slack calls made after acknowledgements at
	// once: well above what Slack's per-method limits let through anyway.
	poolWorkers = 16
	// poolQueue bounds what waits. Past it work is dropped (and logged):
	// it is all at most once by nature (ephemeral answers, response_url).
	poolQueue = 1024
	// jobTimeout bounds one job, Slack's calls included.
	jobTimeout = time.Minute
)

func (p *pool) start() {
	p.once.Do(func() {
		p.jobs = make(chan job, poolQueue)
		p.ctx, p.cancel = context.WithCancel(context.Background())
		for range poolWorkers {
			p.wg.Add(1)
			go p.work()
		}
	})
}

func (p *pool) work() {
	defer p.wg.Done()
	for j := range p.jobs {
		p.run(j)
	}
}

func (p *pool) run(j job) {
	defer p.pending.Add(-1)
	// The request's values, not its cancellation: the request ended with
	// the acknowledgement, which is why this runs here.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(j.ctx), jobTimeout)
	defer cancel()
	stop := context.AfterFunc(p.ctx, cancel)
	defer stop()
	j.fn(ctx)
}

// submit queues fn; it reports false when the pool is shut or full.
func (p *pool) submit(ctx context.Context, fn func(context.Context)) bool {
	p.start()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.pending.Add(1)
	select {
	case p.jobs <- job{ctx: ctx, fn: fn}:
		return true
	default:
		p.pending.Add(-1)
		return false
	}
}

// idle reports whether no job is queued or running.
func (p *pool) idle() bool { return p.pending.Load() == 0 }

// shutdown stops taking jobs and waits for the queued ones; when ctx ends
// first, the running jobs are cancelled and waited for.
func (p *pool) shutdown(ctx context.Context) {
	p.start()
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.jobs)
	}
	p.mu.Unlock()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		p.cancel()
		<-done
	}
	p.cancel()
}
