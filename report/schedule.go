package report

import (
	"fmt"
	"strings"
	"time"
)

// Schedule is when the weekly report goes out: a weekday and a time of
// day, in each seller's own time zone (SFPDESK_REPORT, "mon 09:00").
type Schedule struct {
	Day          time.Weekday
	Hour, Minute int
}

// DefaultSchedule is Monday 09:00: the week just ended, at the start of
// the working one.
var DefaultSchedule = Schedule{Day: time.Monday, Hour: 9}

var days = map[string]time.Weekday{
	"mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday,
	"fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday,
}

// ParseSchedule reads "mon 09:00" (a three-letter English day, any case,
// and a 24-hour time); "off" gives ok false: no report.
func ParseSchedule(s string) (sc Schedule, ok bool, err error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "off" {
		return Schedule{}, false, nil
	}
	day, hm, found := strings.Cut(s, " ")
	d, known := days[day]
	var h, m int
	if !found || !known {
		return Schedule{}, false, fmt.Errorf("%q: want a day and a time such as \"mon 09:00\", or \"off\"", s)
	}
	if n, err := fmt.Sscanf(strings.TrimSpace(hm), "%d:%d", &h, &m); err != nil || n != 2 || h < 0 || h > 23 || m < 0 || m > 59 || len(strings.TrimSpace(hm)) != 5 {
		return Schedule{}, false, fmt.Errorf("%q: the time must be HH:MM, from 00:00 to 23:59", s)
	}
	return Schedule{Day: d, Hour: h, Minute: m}, true, nil
}

func (sc Schedule) String() string {
	for name, d := range days {
		if d == sc.Day {
			return fmt.Sprintf("%s %02d:%02d", name, sc.Hour, sc.Minute)
		}
	}
	return "?"
}

// Next is the first time strictly after t that the schedule names, in loc.
func (sc Schedule) Next(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	ahead := (int(sc.Day) - int(l.Weekday()) + 7) % 7
	for i := 0; i < 3; i++ {
		y, m, d := l.AddDate(0, 0, ahead+7*i).Date()
		at := time.Date(y, m, d, sc.Hour, sc.Minute, 0, 0, loc)
		if at.After(t) {
			return at
		}
	}
	return t.Add(7 * 24 * time.Hour) // unreachable: some week has it
}

// ReportedWeek is the week a report sent at t covers: the last whole week
// (Monday to Sunday) before it, in loc.
func ReportedWeek(t time.Time, loc *time.Location) Week { return WeekOf(t, loc).Add(-1) }
