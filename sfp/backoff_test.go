package sfp

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {4, 8 * time.Second}, {10, time.Minute}, {100, time.Minute}} {
		if got := Backoff(tc.n, time.Second, time.Minute, nil); got != tc.want {
			t.Errorf("Backoff(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
	top := func(n int64) int64 { return n - 1 }
	if got := Backoff(3, time.Second, time.Minute, top); got != 4*time.Second {
		t.Errorf("with the most jitter = %v, want 4s", got)
	}
	if got := Backoff(3, time.Second, time.Minute, func(int64) int64 { return 0 }); got != 2*time.Second {
		t.Errorf("with no jitter drawn = %v, want 2s", got)
	}
}
