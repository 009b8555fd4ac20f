package fakeslack

import (
	"math"
	"time"
)

// rateLimit is Slack's per-channel limit on chat.postMessage (about one
// message per second, with short bursts tolerated). Zero means unlimited.
type rateLimit struct {
	perSecond float64
	burst     int
}

// bucket is a token bucket on the fake's clock, so a simulated clock that
// jumps forward also refills it.
type bucket struct {
	tokens float64
	last   time.Time
}

// SetRateLimit limits chat.postMessage per channel: a bucket of burst
// messages refilled at perSecond. Beyond it the fake answers HTTP 429 with
// Retry-After in whole seconds, as Slack does. perSecond <= 0 removes the
// limit (the default).
func (s *Server) SetRateLimit(perSecond float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate = rateLimit{perSecond: perSecond, burst: max(burst, 1)}
	s.buckets = map[string]*bucket{}
}

// allowLocked takes a token for channel, or says how many whole seconds
// to wait for one.
func (s *Server) allowLocked(channel string, now time.Time) (retryAfter int, allowed bool) {
	if s.rate.perSecond <= 0 {
		return 0, true
	}
	b := s.buckets[channel]
	if b == nil {
		b = &bucket{tokens: float64(s.rate.burst), last: now}
		s.buckets[channel] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(float64(s.rate.burst), b.tokens+elapsed*s.rate.perSecond)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	wait := (1 - b.tokens) / s.rate.perSecond
	return max(1, int(math.Ceil(wait))), false
}
