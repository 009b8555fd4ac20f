package bot

import (
	"math"
	"sync"
	"time"
)

// budget is one of Slack's rate limits as the outbox keeps it: burst calls
// at once, then one every interval. Slack publishes its limits in this shape
// (chat.postMessage: about one message a second per channel, short bursts
// tolerated; chat.update: Tier 3, about 50 a minute per workspace), so the
// outbox keeps within them rather than discovering them through 429s, each
// of which costs at least a second of Retry-After.
//
// It is the generic cell rate algorithm, which is a token bucket counted in
// whole nanoseconds: on a fake clock a budget and the fake Slack's own
// bucket agree to the nanosecond, so a test sees no 429 that production
// would not.
//
// Times come from the caller, read from the injected clock; a budget holds
// no clock and no timer, so nothing in it waits.
type budget struct {
	mu       sync.Mutex
	interval time.Duration // between calls once the burst is spent
	slack    time.Duration // (burst-1) × interval: how far ahead calls may run
	tat      time.Time     // theoretical arrival time of the next call
	strikes  int           // 429s in a row without Retry-After
}

// newBudget allows burst calls at once and rate calls a second after that.
// A rate <= 0 means no limit.
func newBudget(rate float64, burst int) *budget {
	b := &budget{}
	if rate > 0 {
		// Rounded up: a budget may be a nanosecond stricter than Slack's,
		// never looser.
		b.interval = time.Duration(math.Ceil(float64(time.Second) / rate))
	}
	b.slack = time.Duration(max(burst, 1)-1) * b.interval
	return b
}

// ready returns the earliest time at or after now when a call is allowed.
func (b *budget) ready(now time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if at := b.tat.Add(-b.slack); at.After(now) {
		return at
	}
	return now
}

// take spends one call at now; it reports false, spending nothing, when the
// budget does not allow a call yet.
func (b *budget) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tat.Add(-b.slack).After(now) {
		return false
	}
	if b.tat.Before(now) {
		b.tat = now
	}
	b.tat = b.tat.Add(b.interval)
	return true
}

// pause records a 429: Slack allows nothing before until, and then the
// budget starts again empty, one call at until and one every interval
// after it.
func (b *budget) pause(until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if tat := until.Add(b.slack); tat.After(b.tat) {
		b.tat = tat
	}
}

// backoff records a 429 that carried no Retry-After and returns how long to
// wait: Slack gave no figure, so the wait doubles with each such answer in
// a row, from one second up to a minute, and the budget pauses as long.
func (b *budget) backoff(now time.Time) time.Duration {
	b.mu.Lock()
	b.strikes++
	d := time.Second << min(b.strikes-1, 6)
	b.mu.Unlock()
	d = min(d, time.Minute)
	b.pause(now.Add(d))
	return d
}

// succeeded ends a run of 429s.
func (b *budget) succeeded() {
	b.mu.Lock()
	b.strikes = 0
	b.mu.Unlock()
}
