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
