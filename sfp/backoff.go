package sfp

import "time"

// Backoff is the wait after the n-th failure in a row (n ≥ 1): base
// doubled each time up to ceiling, then spread over half to the whole step by
// jitter (which returns a number in [0, n)), so that clients that failed
// together do not come back together. A nil jitter spreads nothing.
func Backoff(n int, base, ceiling time.Duration, jitter func(n int64) int64) time.Duration {
	d := base << min(max(n-1, 0), 30)
	if d > ceiling || d <= 0 {
		d = ceiling
	}
	if jitter == nil {
		return d
	}
	return d/2 + time.Duration(jitter(int64(d/2)+1))
}
