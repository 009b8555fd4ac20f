package bolt

import (
	"errors"
	"fmt"
	"sync"

	bbolt "go.etcd.io/bbolt"
)

// maxBatch bounds one group commit, as bbolt's own Batch does.
const maxBatch = 1000

// committer is a group commit. bbolt's Batch gathers writers for a fixed
// delay and then queues for the write lock, so under load several small
// batches wait behind each other's fsync: each writer pays the delay and
// the queue. Here the writers that arrive while one transaction commits
// form the next one, which starts the moment the lock is free; an idle
// store commits at once, with no delay at all.
//
// The first writer to find nobody committing leads: it runs one
// transaction over what is queued, then hands the lead to the oldest
// writer still waiting, so no caller serves others' commits for long.
type committer struct {
	mu      sync.Mutex
	queue   []*batchCall
	leading bool
}

type batchCall struct {
	fn   func(*bbolt.Tx) error
	done chan error    // the outcome; errTrySolo means run fn alone
	lead chan struct{} // this caller leads the next transaction
}

// errTrySolo tells a caller that its function failed inside a shared
// transaction (which was rolled back, the others retried without it): it
// runs again alone, so that its error, or panic, is its own.
var errTrySolo = errors.New("batch function failed; run it alone")

// batch runs fn in a transaction shared with concurrent callers. As with
// bbolt's Batch, fn may run more than once and must be idempotent.
func (c *committer) batch(db *bbolt.DB, fn func(*bbolt.Tx) error) error {
	call := &batchCall{fn: fn, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, call)
	lead := !c.leading
	c.leading = true
	c.mu.Unlock()
	if lead {
		c.round(db)
	}
	for {
		select {
		case err := <-call.done:
			if err == errTrySolo {
				return db.Update(fn)
			}
			return err
		case <-call.lead:
			c.round(db)
		}
	}
}

// round commits up to maxBatch queued calls in one transaction and passes
// the lead on.
func (c *committer) round(db *bbolt.DB) {
	c.mu.Lock()
	n := min(len(c.queue), maxBatch)
	calls := c.queue[:n:n]
	c.queue = append([]*batchCall(nil), c.queue[n:]...)
	c.mu.Unlock()

	for len(calls) > 0 {
		failed := -1
		err := db.Update(func(tx *bbolt.Tx) error {
			for i, call := range calls {
				if err := safely(call.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			for _, call := range calls {
				call.done <- err
			}
			break
		}
		calls[failed].done <- errTrySolo
		calls = append(calls[:failed:failed], calls[failed+1:]...)
	}

	c.mu.Lock()
	if len(c.queue) == 0 {
		c.leading = false
		c.mu.Unlock()
		return
	}
	next := c.queue[0]
	c.mu.Unlock()
	next.lead <- struct{}{}
}

// safely turns a panic into an error, so that one writer's bug rolls back
// the shared transaction instead of killing whoever leads it; the writer
// then panics in its own goroutine when its function runs alone.
func safely(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in batch function: %v", p)
		}
	}()
	return fn(tx)
}
