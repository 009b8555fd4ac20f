package report

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Week is an ISO 8601 week: it starts on Monday, and week 1 is the one
// with the year's first Thursday.
type Week struct {
	Year, Number int
}

var weekRe = regexp.MustCompile(`^(\d{4})-W(\d{2})$`)

// ParseWeek reads "2026-W49".
func ParseWeek(s string) (Week, error) {
	m := weekRe.FindStringSubmatch(s)
	if m == nil {
		return Week{}, fmt.Errorf("week %q: want YYYY-Www, e.g. 2026-W49", s)
	}
	y, _ := strconv.Atoi(m[1])
	n, _ := strconv.Atoi(m[2])
	w := Week{y, n}
	if n < 1 || WeekOf(w.Start(time.UTC), time.UTC) != w {
		return Week{}, fmt.Errorf("week %q: %d has no week %d", s, y, n)
	}
	return w, nil
}

// WeekOf is the week t falls in, in loc.
func WeekOf(t time.Time, loc *time.Location) Week {
	y, n := t.In(loc).ISOWeek()
	return Week{y, n}
}

func (w Week) String() string { return fmt.Sprintf("%04d-W%02d", w.Year, w.Number) }

// Start is Monday 00:00 of the week in loc.
func (w Week) Start(loc *time.Location) time.Time {
	// 4 January is always in week 1.
	jan4 := time.Date(w.Year, 1, 4, 0, 0, 0, 0, loc)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	return monday.AddDate(0, 0, 7*(w.Number-1))
}

// End is the next week's Start.
func (w Week) End(loc *time.Location) time.Time { return w.Start(loc).AddDate(0, 0, 7) }

// Add is the week n weeks later (earlier for n < 0).
func (w Week) Add(n int) Week {
	return WeekOf(w.Start(time.UTC).AddDate(0, 0, 7*n+3), time.UTC)
}
