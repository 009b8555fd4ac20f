package report

import (
	"testing"
	"time"
)

func TestWeeks(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	for _, tc := range []struct {
		in    string
		start string // Monday, Paris time
		ok    bool
	}{
		{"2026-W49", "2026-11-30", true},
		{"2026-W01", "2025-12-29", true}, // 1 January 2026 is a Thursday
		{"2026-W53", "2026-12-28", true},
		{"2027-W53", "", false}, // 2027 has 52 weeks
		{"2026-W00", "", false},
		{"2026-49", "", false},
		{"2026-w49", "", false},
	} {
		w, err := ParseWeek(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseWeek(%q) error %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if !tc.ok {
			continue
		}
		if got := w.Start(paris).Format("2006-01-02 15:04 MST"); got != tc.start+" 00:00 CET" {
			t.Errorf("%s starts %s, want %s 00:00 CET", tc.in, got, tc.start)
		}
		if w.String() != tc.in || WeekOf(w.Start(paris), paris) != w || WeekOf(w.End(paris).Add(-time.Second), paris) != w {
			t.Errorf("%s does not round-trip: %v", tc.in, w)
		}
		if w.Add(-1).Add(1) != w || w.Add(1).Start(paris) != w.End(paris) {
			t.Errorf("%s: Add does not step a week", tc.in)
		}
	}
}

func FuzzParseWeek(f *testing.F) {
	for _, s := range []string{"2026-W49", "2026-W53", "0000-W01", "9999-W52", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWeek(s)
		if err != nil {
			return
		}
		if w.String() != s {
			t.Errorf("ParseWeek(%q) = %v, which prints %q", s, w, w.String())
		}
	})
}

func TestSchedule(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	sc, ok, err := ParseSchedule("Mon 09:00")
	if err != nil || !ok || sc != DefaultSchedule || sc.String() != "mon 09:00" {
		t.Fatalf("ParseSchedule(Mon 09:00) = %v %v %v", sc, ok, err)
	}
	if _, ok, err := ParseSchedule("off"); ok || err != nil {
		t.Errorf("off: ok %v, err %v", ok, err)
	}
	for _, bad := range []string{"", "monday 09:00", "mon 9:00", "mon 24:00", "mon 09:60", "mon", "09:00"} {
		if _, _, err := ParseSchedule(bad); err == nil {
			t.Errorf("ParseSchedule(%q) accepted", bad)
		}
	}
	for _, tc := range []struct{ at, want string }{
		{"2026-12-06 20:00", "2026-12-07 09:00"}, // Sunday evening
		{"2026-12-07 08:59", "2026-12-07 09:00"},
		{"2026-12-07 09:00", "2026-12-14 09:00"}, // strictly after
		{"2026-03-27 12:00", "2026-03-30 09:00"}, // over the change to summer time
	} {
		at, _ := time.ParseInLocation("2006-01-02 15:04", tc.at, paris)
		if got := DefaultSchedule.Next(at, paris).Format("2006-01-02 15:04"); got != tc.want {
			t.Errorf("Next(%s) = %s, want %s", tc.at, got, tc.want)
		}
	}
	monday, _ := time.ParseInLocation("2006-01-02 15:04", "2026-12-07 09:00", paris)
	if w := ReportedWeek(monday, paris); w.String() != "2026-W49" {
		t.Errorf("a report on Monday 7 December covers %v, want 2026-W49", w)
	}
}
