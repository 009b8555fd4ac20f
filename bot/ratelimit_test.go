package bot

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// at is t0 plus seconds.
func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func TestBudget(t *testing.T) {
	type step struct {
		at   float64 // seconds after t0
		do   string  // "take" or "pause <seconds>"
		want bool    // for take: allowed
		next float64 // ready() after the step, seconds after t0
	}
	tests := []struct {
		name  string
		rate  float64
		burst int
		steps []step
	}{
		{"Slack's channel limit: three at once, then one a second", 1, 3, []step{
			{0, "take", true, 0}, {0, "take", true, 0}, {0, "take", true, 1},
			{0, "take", false, 1}, {0.999, "take", false, 1}, {1, "take", true, 2},
			{2.5, "take", true, 3}, {10, "take", true, 10}, {10, "take", true, 10}, {10, "take", true, 11},
		}},
		{"Tier 3: fifty a minute, one every 1.2 s once the burst is spent", 50.0 / 60, 1, []step{
			{0, "take", true, 1.2}, {1.1, "take", false, 1.2}, {1.2, "take", true, 2.4},
		}},
		{"a Retry-After empties the budget until it ends", 1, 3, []step{
			{0, "take", true, 0}, {0, "pause 5", false, 5},
			{4, "take", false, 5}, {5, "take", true, 6}, {6, "take", true, 7},
		}},
		{"a Retry-After shorter than the budget's own wait changes nothing", 1, 1, []step{
			{0, "take", true, 1}, {0, "pause 0.5", false, 1},
		}},
		{"no limit", 0, 0, []step{
			{0, "take", true, 0}, {0, "take", true, 0}, {0, "take", true, 0},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBudget(tc.rate, tc.burst)
			for i, s := range tc.steps {
				now := at(s.at)
				switch {
				case s.do == "take":
					if got := b.take(now); got != s.want {
						t.Fatalf("step %d: take at %gs = %v, want %v", i, s.at, got, s.want)
					}
				default:
					var d float64
					if _, err := fmt.Sscanf(s.do, "pause %g", &d); err != nil {
						t.Fatal(err)
					}
					b.pause(now.Add(time.Duration(d * float64(time.Second))))
				}
				if got := b.ready(now); !got.Equal(at(s.next)) {
					t.Fatalf("step %d: ready at +%s, want +%gs", i, got.Sub(t0), s.next)
				}
			}
		})
	}
}

func TestBudgetBacksOffWithoutRetryAfter(t *testing.T) {
	b := newBudget(1, 3)
	var got []time.Duration
	for range 9 {
		got = append(got, b.backoff(t0))
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 60}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("back-off %d = %s, want %ds (all: %v)", i, got[i], want[i], got)
		}
	}
	if r := b.ready(t0); !r.Equal(t0.Add(time.Minute)) {
		t.Errorf("ready at +%s during the back-off", r.Sub(t0))
	}
	b.succeeded()
	if d := b.backoff(t0); d != time.Second {
		t.Errorf("after a success the back-off starts again at %s, want 1s", d)
	}
}
