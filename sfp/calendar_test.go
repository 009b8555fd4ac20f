package sfp_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfpdesk/sfpdesk/sfp"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// day is noon on a date in the marketplace's own zone.
func day(t *testing.T, m sfp.Marketplace, s string) time.Time {
	t.Helper()
	d, err := time.ParseInLocation(time.DateOnly, s, m.Location())
	if err != nil {
		t.Fatal(err)
	}
	return d.Add(12 * time.Hour)
}

// The 2026 days off of each marketplace, weekends included: the national
// lists the refund clock skips (see calendar.go for the choices).
func TestHolidays2026(t *testing.T) {
	want := map[sfp.Marketplace][]string{
		"amazon.fr": {"2026-01-01", "2026-04-06", "2026-05-01", "2026-05-08", "2026-05-14", "2026-05-25",
			"2026-07-14", "2026-08-15", "2026-11-01", "2026-11-11", "2026-12-25"},
		"amazon.de": {"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-01", "2026-05-14", "2026-05-25",
			"2026-10-03", "2026-12-25", "2026-12-26"},
		"amazon.es": {"2026-01-01", "2026-01-06", "2026-04-03", "2026-05-01", "2026-08-15", "2026-10-12",
			"2026-11-01", "2026-12-06", "2026-12-08", "2026-12-25"},
		"amazon.it": {"2026-01-01", "2026-01-06", "2026-04-06", "2026-04-25", "2026-05-01", "2026-06-02",
			"2026-08-15", "2026-10-04", "2026-11-01", "2026-12-08", "2026-12-25", "2026-12-26"},
		"amazon.co.uk": {"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31",
			"2026-12-25", "2026-12-28"},
		"amazon.com": {"2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-03",
			"2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25"},
		"amazon.nl": {"2026-01-01", "2026-04-03", "2026-04-06", "2026-04-27", "2026-05-05", "2026-05-14",
			"2026-05-25", "2026-12-25", "2026-12-26"},
		"amazon.com.be": {"2026-01-01", "2026-04-06", "2026-05-01", "2026-05-14", "2026-05-25", "2026-07-21",
			"2026-08-15", "2026-11-01", "2026-11-11", "2026-12-25"},
		"amazon.pl": {"2026-01-01", "2026-01-06", "2026-04-06", "2026-05-01", "2026-05-03", "2026-06-04",
			"2026-08-15", "2026-11-01", "2026-11-11", "2026-12-24", "2026-12-25", "2026-12-26"},
		"amazon.se": {"2026-01-01", "2026-01-06", "2026-04-03", "2026-04-06", "2026-05-01", "2026-05-14",
			"2026-06-06", "2026-06-19", "2026-06-20", "2026-10-31", "2026-12-24", "2026-12-25",
			"2026-12-26", "2026-12-31"},
	}
	for _, mi := range sfp.Marketplaces() {
		t.Run(string(mi.Domain), func(t *testing.T) {
			var got []string
			for _, h := range sfp.CalendarFor(mi.Domain).Holidays(2026) {
				got = append(got, h.Date)
			}
			if diff := cmp.Diff(want[mi.Domain], got); diff != "" {
				t.Errorf("days off in 2026 (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIsBusinessDay(t *testing.T) {
	tests := []struct {
		name string
		m    sfp.Marketplace
		date string
		want bool
	}{
		{"an ordinary Wednesday", "amazon.fr", "2026-03-11", true},
		{"Saturday is never a business day", "amazon.fr", "2026-03-14", false},
		{"Sunday is never a business day", "amazon.com", "2026-03-15", false},
		{"Christmas Eve is a business day in France", "amazon.fr", "2026-12-24", true},
		{"Christmas Eve is a day off in Poland since 2025", "amazon.pl", "2026-12-24", false},
		{"Christmas Eve was a business day in Poland in 2024", "amazon.pl", "2024-12-24", true},
		{"Christmas Eve is a day off in Sweden", "amazon.se", "2026-12-24", false},
		{"Boxing Day 2026 (a Saturday) is off on Monday 28 December in England and Wales", "amazon.co.uk", "2026-12-28", false},
		{"Monday 28 December 2026 is a business day in France", "amazon.fr", "2026-12-28", true},
		{"Christmas 2027 (a Saturday) is off on Monday 27 December in the UK", "amazon.co.uk", "2027-12-27", false},
		{"Boxing Day 2027 (a Sunday) is off on Tuesday 28 December in the UK", "amazon.co.uk", "2027-12-28", false},
		{"Maundy Thursday is a business day on Spain's national calendar", "amazon.es", "2026-04-02", true},
		{"Maundy Thursday is a business day in Germany", "amazon.de", "2026-04-02", true},
		{"Good Friday is off in Spain", "amazon.es", "2026-04-03", false},
		{"Good Friday is off in Germany", "amazon.de", "2026-04-03", false},
		{"Good Friday is off in the UK", "amazon.co.uk", "2026-04-03", false},
		{"Good Friday is off in the Netherlands", "amazon.nl", "2026-04-03", false},
		{"Good Friday is a business day in France (Alsace-Moselle is regional)", "amazon.fr", "2026-04-03", true},
		{"Good Friday is a business day in Italy", "amazon.it", "2026-04-03", true},
		{"Easter Monday is off in France", "amazon.fr", "2026-04-06", false},
		{"Easter Monday is off in Germany", "amazon.de", "2026-04-06", false},
		{"Easter Monday is off in the UK", "amazon.co.uk", "2026-04-06", false},
		{"Easter Monday is regional in Spain", "amazon.es", "2026-04-06", true},
		{"1 May is off in France", "amazon.fr", "2026-05-01", false},
		{"1 May is a business day in the UK", "amazon.co.uk", "2026-05-01", true},
		{"the Early May bank holiday is Monday 4 May", "amazon.co.uk", "2026-05-04", false},
		{"Corpus Christi is regional in Germany", "amazon.de", "2026-06-04", true},
		{"Corpus Christi is national in Poland", "amazon.pl", "2026-06-04", false},
		{"San Francesco is off in Italy again (2027, a Monday)", "amazon.it", "2027-10-04", false},
		{"4 October was a business day in Italy before 2026 (2024, a Friday)", "amazon.it", "2024-10-04", true},
		{"Liberation Day is off in the Netherlands every year", "amazon.nl", "2026-05-05", false},
		{"Belgian National Day", "amazon.com.be", "2026-07-21", false},
		{"Midsummer Eve is off in Sweden", "amazon.se", "2026-06-19", false},
		{"Independence Day 2026 (a Saturday) is off on Friday 3 July", "amazon.com", "2026-07-03", false},
		{"the day after Thanksgiving is not a federal holiday", "amazon.com", "2026-11-27", true},
		{"New Year's Day 2028 (a Saturday) is off on Friday 31 December 2027", "amazon.com", "2027-12-31", false},
		{"31 December 2027 is a business day in the UK", "amazon.co.uk", "2027-12-31", true},
		{"an unknown marketplace follows amazon.fr", "amazon.example", "2026-07-14", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sfp.CalendarFor(tt.m).IsBusinessDay(day(t, tt.m, tt.date))
			if got != tt.want {
				t.Errorf("IsBusinessDay(%s on %s) = %v, want %v", tt.date, tt.m, got, tt.want)
			}
		})
	}
}

// The date that counts is the one in the time's own location: 23:30 UTC on
// Christmas Eve is already Christmas in Paris.
func TestIsBusinessDayReadsTheLocalDate(t *testing.T) {
	paris := mustLoc(t, "Europe/Paris")
	at := time.Date(2026, 12, 24, 23, 30, 0, 0, time.UTC)
	c := sfp.CalendarFor("amazon.fr")
	got := []bool{c.IsBusinessDay(at), c.IsBusinessDay(at.In(paris))}
	if diff := cmp.Diff([]bool{true, false}, got); diff != "" {
		t.Errorf("UTC then Paris (-want +got):\n%s", diff)
	}
}

func TestHoliday(t *testing.T) {
	type result struct {
		Name string
		OK   bool
	}
	tests := []struct {
		name string
		m    sfp.Marketplace
		date string
		want result
	}{
		{"Christmas in France", "amazon.fr", "2026-12-25", result{"Noël", true}},
		{"Boxing Day's substitute Monday carries its name", "amazon.co.uk", "2026-12-28", result{"Boxing Day", true}},
		{"Boxing Day itself on a Saturday is not the day off", "amazon.co.uk", "2026-12-26", result{"", false}},
		{"a holiday on a Sunday is still named", "amazon.fr", "2026-11-01", result{"Toussaint", true}},
		{"Maundy Thursday is no national holiday in Spain", "amazon.es", "2026-04-02", result{"", false}},
		{"US Independence Day observed on Friday", "amazon.com", "2026-07-03", result{"Independence Day", true}},
		{"Polish Christmas Eve", "amazon.pl", "2026-12-24", result{"Wigilia Bożego Narodzenia", true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, ok := sfp.CalendarFor(tt.m).Holiday(day(t, tt.m, tt.date))
			if diff := cmp.Diff(tt.want, result{name, ok}); diff != "" {
				t.Errorf("Holiday(%s on %s) (-want +got):\n%s", tt.date, tt.m, diff)
			}
		})
	}
}

func TestHolidaysMarkSubstitutes(t *testing.T) {
	var got []sfp.HolidayDate
	for _, h := range sfp.CalendarFor("amazon.co.uk").Holidays(2027) {
		if h.Substitute {
			got = append(got, h)
		}
	}
	want := []sfp.HolidayDate{
		{Date: "2027-12-27", Name: "Christmas Day", Substitute: true},
		{Date: "2027-12-28", Name: "Boxing Day", Substitute: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UK substitute days in 2027 (-want +got):\n%s", diff)
	}
}

func TestAddBusinessDays(t *testing.T) {
	paris := mustLoc(t, "Europe/Paris")
	tests := []struct {
		name string
		from time.Time
		n    int
		want string
	}{
		{"zero days is the same instant", time.Date(2026, 12, 24, 10, 0, 0, 0, paris), 0, "2026-12-24T10:00:00+01:00"},
		{"two days after Christmas Eve skip Christmas and the weekend", time.Date(2026, 12, 24, 10, 0, 0, 0, paris), 2, "2026-12-29T10:00:00+01:00"},
		{"backwards from Monday lands on Thursday", time.Date(2026, 12, 28, 10, 0, 0, 0, paris), -2, "2026-12-23T10:00:00+01:00"},
		{"wall-clock time kept across summer time", time.Date(2026, 3, 27, 10, 0, 0, 0, paris), 1, "2026-03-30T10:00:00+02:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sfp.CalendarFor("amazon.fr").AddBusinessDays(tt.from, tt.n).Format(time.RFC3339)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("AddBusinessDays (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMarketplaceLocation(t *testing.T) {
	var got []string
	for _, mi := range sfp.Marketplaces() {
		got = append(got, mi.Domain.Location().String())
	}
	var want []string
	for _, mi := range sfp.Marketplaces() {
		want = append(want, mi.TimeZone)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("zones (-want +got):\n%s", diff)
	}
}

// Calendars are shared by every goroutine of the bot; -race checks that the
// lazily built year tables are safe.
func TestCalendarConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for _, mi := range sfp.Marketplaces() {
				c := sfp.CalendarFor(mi.Domain)
				at := time.Date(2020+i%8, 12, 28, 12, 0, 0, 0, time.UTC)
				c.IsBusinessDay(at)
				c.Holiday(at)
				c.AddBusinessDays(at, 3)
			}
		})
	}
	wg.Wait()
}

// A seller's region adds its holidays to the refund clock; without one the
// national list stands.
func TestRegionalCalendar(t *testing.T) {
	two := sfp.Duration{N: 2, Unit: sfp.BusinessDays}
	tests := []struct {
		name    string
		m       sfp.Marketplace
		region  string
		arrived string
		want    string
	}{
		{"Epiphany is no national holiday in Germany", "amazon.de", "",
			"2027-01-05T10:00:00+01:00", "2027-01-07T23:59:59+01:00"},
		{"but it is one in Bavaria", "amazon.de", "DE-BY",
			"2027-01-05T10:00:00+01:00", "2027-01-08T23:59:59+01:00"},
		{"Reformation Day is off in Saxony", "amazon.de", "DE-SN",
			"2028-10-30T10:00:00+01:00", "2028-11-02T23:59:59+01:00"},
		{"Maundy Thursday is chosen by each community in Spain", "amazon.es", "",
			"2027-03-24T10:00:00+01:00", "2027-03-29T23:59:59+02:00"},
		{"and Madrid takes it", "amazon.es", "ES-MD",
			"2027-03-24T10:00:00+01:00", "2027-03-30T23:59:59+02:00"},
		{"Madrid's own day on 2 May", "amazon.es", "ES-MD",
			"2028-05-01T10:00:00+02:00", "2028-05-04T23:59:59+02:00"},
		{"an unknown region keeps the national list", "amazon.de", "XX-YY",
			"2027-01-05T10:00:00+01:00", "2027-01-07T23:59:59+01:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sfp.RegionalCalendar(tt.m, tt.region)
			got := c.DueAfter(mustTime(t, tt.arrived), two, nil).Format(time.RFC3339)
			if got != tt.want {
				t.Errorf("due %s, want %s", got, tt.want)
			}
		})
	}
	// The national calendar itself is left alone.
	if _, ok := sfp.CalendarFor("amazon.de").Holiday(mustTime(t, "2027-01-06T12:00:00+01:00")); ok {
		t.Error("Epiphany became a holiday of amazon.de's national calendar")
	}
}

func TestParseRegion(t *testing.T) {
	for in, want := range map[string]string{"es-md": "ES-MD", " DE-BY ": "DE-BY", "de-th": "DE-TH"} {
		if got, err := sfp.ParseRegion(in); err != nil || got != want {
			t.Errorf("ParseRegion(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "BY", "FR-75", "DE_BY"} {
		if _, err := sfp.ParseRegion(bad); sfp.ErrorCode(err) != sfp.EINVALID {
			t.Errorf("ParseRegion(%q): %v, want EINVALID", bad, err)
		}
	}
}
