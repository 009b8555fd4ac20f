package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// FireFunc carries out one due entry inside tx, writing its effects (the
// case, its events, the messages it owes) in that same transaction. now is
// the time the scheduler fires at; late is true when the entry fires well
// after its time, because sfpdesk was down or stalled, so that what it
// posts can say so. An error rolls the whole transaction back: nothing of
// the entry, nor of the batch it was in, is fired or lost.
type FireFunc func(tx store.Tx, e store.DueEntry, now time.Time, late bool) error

// Scheduler fires the entries of the due index when their time comes: one
// loop that sleeps on the clock until the earliest entry, woken early by
// Notify when an earlier one is committed.
//
// Entries are fired in batches, each batch in one transaction together
// with its effects and the deletion of the fired entries: an entry fires
// once, across crashes and restarts, and is never lost. A wake-up reads
// only what is due (the index is ordered by time), so its cost grows with
// what is due, not with how many cases are open.
//
// After downtime only what still matters fires: an entry that served a
// deadline which has passed too (a reminder before it) gives way to the
// entry at the deadline (the escalation) and is dropped unfired, and what
// does fire is marked late.
type Scheduler struct {
	Store store.Store
	Clock sfp.Clock
	Fire  FireFunc
	Log   *slog.Logger
	// Fired is called after each committed batch that fired something,
	// with how many entries it fired: the outbox has messages waiting.
	Fired func(n int)
	// BatchSize is how many entries one transaction fires. Default 500:
	// a commit's fsync costs more than firing dozens of entries, so a
	// burst (10,000 reminders of the same minute, or the backlog after
	// downtime) needs few commits; and at well under 0.1 ms an entry, a
	// batch still holds the write lock for a few tens of milliseconds,
	// never long enough to delay a Slack acknowledgement.
	BatchSize int
	// LateAfter is how far behind its time an entry must fire to count as
	// late. Default one minute.
	LateAfter time.Duration
	// MaxSleep bounds a sleep even when nothing is due sooner, so that an
	// entry written without a Notify (by another tool on the file) still
	// fires. Default one hour.
	MaxSleep time.Duration
	// RetryAfter is how long an entry whose firing fails waits before it
	// is tried again, and how long the loop waits after a store error.
	// Default one minute.
	RetryAfter time.Duration
	// Metrics counts what became of each entry and how late it fired; nil
	// counts nothing.
	Metrics *Metrics

	once sync.Once
	wake chan struct{}
}

// SweepResult says what a sweep did.
type SweepResult struct {
	Fired   int // entries carried out
	Skipped int // entries dropped because their deadline had passed too
	Late    int // of Fired, those marked late
	Retried int // entries whose firing failed, put back for later
	Batches int // committed transactions
}

func (r *SweepResult) add(o SweepResult) {
	r.Fired += o.Fired
	r.Skipped += o.Skipped
	r.Late += o.Late
	r.Retried += o.Retried
	r.Batches += o.Batches
}

func (s *Scheduler) init() {
	s.once.Do(func() {
		s.wake = make(chan struct{}, 1)
		if s.Log == nil {
			s.Log = slog.Default()
		}
		if s.BatchSize <= 0 {
			s.BatchSize = 500
		}
		if s.LateAfter <= 0 {
			s.LateAfter = time.Minute
		}
		if s.MaxSleep <= 0 {
			s.MaxSleep = time.Hour
		}
		if s.RetryAfter <= 0 {
			s.RetryAfter = time.Minute
		}
	})
}

// Notify tells the scheduler that due entries were committed: it looks
// again at the earliest one, which may be sooner than the one it sleeps
// until.
func (s *Scheduler) Notify() {
	s.init()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run fires due entries until ctx is cancelled. A batch under way when ctx
// is cancelled is committed first. Cancellation is not an error: Run
// returns nil.
func (s *Scheduler) Run(ctx context.Context) error {
	s.init()
	for {
		wait := s.MaxSleep
		if _, err := s.Sweep(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.Log.Error("scheduler: firing due entries", "err", err)
			wait = s.RetryAfter
		} else if next, ok, err := s.next(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.Log.Error("scheduler: reading the next due entry", "err", err)
			wait = s.RetryAfter
		} else if ok {
			wait = min(wait, next.Sub(s.Clock.Now()))
		}
		t := s.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-s.wake:
		case <-t.C():
		}
		t.Stop()
	}
}

func (s *Scheduler) next(ctx context.Context) (time.Time, bool, error) {
	var at time.Time
	var ok bool
	err := s.Store.View(ctx, func(tx store.Tx) error {
		var err error
		at, ok, err = tx.NextDue()
		return err
	})
	return at, ok, err
}

// fireError is a FireFunc's failure on one entry, told apart from the
// store's own errors: that entry is put back for later and the batch is
// tried again without it, so that one bad entry never holds up the rest.
type fireError struct {
	entry store.DueEntry
	err   error
}

func (e *fireError) Error() string {
	return fmt.Sprintf("firing %s of %s: %v", e.entry.Kind, e.entry.CaseID, e.err)
}

func (e *fireError) Unwrap() error { return e.err }

// Sweep fires every entry due at the clock's current time, a batch per
// transaction, and returns what it did. Run calls it on each wake-up; tests
// and benchmarks call it to fire what is due without the loop.
func (s *Scheduler) Sweep(ctx context.Context) (SweepResult, error) {
	s.init()
	var total SweepResult
	for {
		now := s.Clock.Now()
		res, n, err := s.batch(ctx, now)
		var fe *fireError
		if errors.As(err, &fe) {
			if err := s.retryLater(ctx, fe, now); err != nil {
				return total, err
			}
			s.Metrics.Due(fe.entry.Kind, DueRetried, 0)
			total.Retried++
			continue
		}
		if err != nil {
			return total, err
		}
		total.add(res)
		if res.Fired > 0 && s.Fired != nil {
			s.Fired(res.Fired)
		}
		if n < s.BatchSize {
			if total.Skipped > 0 || total.Late > 0 {
				s.Log.Info("scheduler: caught up after a delay", "fired", total.Fired, "late", total.Late, "skipped", total.Skipped)
			}
			return total, nil
		}
	}
}

// batch fires up to BatchSize entries due at now in one transaction. It
// returns how many entries it read, so that Sweep knows whether more wait.
func (s *Scheduler) batch(ctx context.Context, now time.Time) (SweepResult, int, error) {
	var res SweepResult
	var n int
	// Most wake-ups find nothing due (every case written wakes the
	// scheduler). Looking costs a read; a write transaction would take the
	// write lock from the handlers and fsync an unchanged file.
	err := s.Store.View(ctx, func(tx store.Tx) error {
		due, err := tx.DueBefore(now, 1)
		n = len(due)
		return err
	})
	if err != nil || n == 0 {
		return res, 0, err
	}
	// What became of each entry, counted once the batch is committed.
	type outcome struct {
		e      store.DueEntry
		result string
	}
	var done []outcome
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		res, n, done = SweepResult{}, 0, done[:0]
		entries, err := tx.DueBefore(now, s.BatchSize)
		if err != nil {
			return err
		}
		n = len(entries)
		for _, e := range entries {
			if err := tx.DeleteDue(e); err != nil {
				return err
			}
			if Superseded(e, now) {
				res.Skipped++
				done = append(done, outcome{e, DueSkipped})
				s.Log.Debug("scheduler: skipped, its deadline has passed too", "case_id", e.CaseID, "kind", e.Kind, "due", e.At, "deadline", e.Deadline)
				continue
			}
			late := now.Sub(e.At) > s.LateAfter
			if err := s.Fire(tx, e, now, late); err != nil {
				return &fireError{entry: e, err: err}
			}
			res.Fired++
			result := DueOnTime
			if late {
				res.Late++
				result = DueLate
			}
			done = append(done, outcome{e, result})
		}
		if n > 0 {
			res.Batches = 1
		}
		return nil
	})
	if err == nil {
		for _, o := range done {
			s.Metrics.Due(o.e.Kind, o.result, now.Sub(o.e.At))
		}
	}
	return res, n, err
}

// retryLater moves an entry whose firing failed to RetryAfter from now, in
// a transaction of its own, keeping its deadline: it is neither lost nor
// allowed to block the entries behind it.
func (s *Scheduler) retryLater(ctx context.Context, fe *fireError, now time.Time) error {
	s.Log.Error("scheduler: firing failed; will retry", "case_id", fe.entry.CaseID, "kind", fe.entry.Kind, "err", fe.err, "in", s.RetryAfter)
	return s.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.DeleteDue(fe.entry); err != nil {
			return err
		}
		e := fe.entry
		e.At = now.Add(s.RetryAfter)
		return tx.PutDue(e)
	})
}

// Superseded reports whether an entry, fired at now, served a deadline
// that has passed too: a reminder before a deadline is pointless once the
// deadline is gone, and the entry at the deadline itself (whose At is its
// Deadline) speaks instead.
func Superseded(e store.DueEntry, now time.Time) bool {
	return !e.Deadline.IsZero() && e.At.Before(e.Deadline) && !now.Before(e.Deadline)
}
