package sfp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfpdesk/sfpdesk/sfp"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// zone loads a zone by name; "" is nil, the marketplace's own zone.
func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	if name == "" {
		return nil
	}
	return mustLoc(t, name)
}

// The refund clock: 23:59:59 local on the 2nd business day after the day a
// return reached the warehouse (DESIGN §1, §4.5). Times are compared as
// RFC 3339 text, which checks the seller's UTC offset as well as the
// instant.
func TestDueAtReturnReceived(t *testing.T) {
	tests := []struct {
		name     string
		m        sfp.Marketplace
		zone     string
		received string
		want     string
	}{
		{"return on Christmas Eve, amazon.fr: Christmas and the weekend skipped",
			"amazon.fr", "Europe/Paris", "2026-12-24T10:00:00+01:00", "2026-12-29T23:59:59+01:00"},
		{"return on Christmas Eve, amazon.co.uk: Boxing Day's substitute Monday skipped too",
			"amazon.co.uk", "Europe/London", "2026-12-24T10:00:00Z", "2026-12-30T23:59:59Z"},
		{"amazon.co.uk seller working from Paris: UK holidays, Paris clock",
			"amazon.co.uk", "Europe/Paris", "2026-12-24T10:00:00+01:00", "2026-12-30T23:59:59+01:00"},
		{"no seller zone: the marketplace's",
			"amazon.fr", "", "2026-12-24T09:00:00Z", "2026-12-29T23:59:59+01:00"},
		{"Maundy Thursday, amazon.es: Good Friday off, Easter Monday a business day",
			"amazon.es", "Europe/Madrid", "2026-04-02T10:00:00+02:00", "2026-04-07T23:59:59+02:00"},
		{"Maundy Thursday, amazon.de: Good Friday and Easter Monday off",
			"amazon.de", "Europe/Berlin", "2026-04-02T10:00:00+02:00", "2026-04-08T23:59:59+02:00"},
		{"Maundy Thursday, amazon.co.uk: Good Friday and Easter Monday off",
			"amazon.co.uk", "Europe/London", "2026-04-02T10:00:00+01:00", "2026-04-08T23:59:59+01:00"},
		{"Maundy Thursday, amazon.fr: Good Friday counts, Easter Monday off",
			"amazon.fr", "Europe/Paris", "2026-04-02T10:00:00+02:00", "2026-04-07T23:59:59+02:00"},
		{"the day before Maundy Thursday, amazon.es: Jueves Santo counts as a business day",
			"amazon.es", "Europe/Madrid", "2026-04-01T10:00:00+02:00", "2026-04-06T23:59:59+02:00"},
		{"the day before Maundy Thursday, amazon.de",
			"amazon.de", "Europe/Berlin", "2026-04-01T10:00:00+02:00", "2026-04-07T23:59:59+02:00"},
		{"return on a Friday afternoon",
			"amazon.fr", "Europe/Paris", "2026-03-13T16:30:00+01:00", "2026-03-17T23:59:59+01:00"},
		{"return on a Sunday: Monday is the first business day",
			"amazon.fr", "Europe/Paris", "2026-03-15T11:00:00+01:00", "2026-03-17T23:59:59+01:00"},
		{"return on a Monday at 08:00: the arrival day never counts",
			"amazon.fr", "Europe/Paris", "2026-03-16T08:00:00+01:00", "2026-03-18T23:59:59+01:00"},
		{"return at 00:30 in Paris, still Thursday in UTC: the seller's date counts",
			"amazon.fr", "Europe/Paris", "2026-03-12T23:30:00Z", "2026-03-17T23:59:59+01:00"},
		{"return across the change to summer time",
			"amazon.fr", "Europe/Paris", "2026-03-27T10:00:00+01:00", "2026-03-31T23:59:59+02:00"},
		{"return on New Year's Eve",
			"amazon.fr", "Europe/Paris", "2026-12-31T10:00:00+01:00", "2027-01-05T23:59:59+01:00"},
		{"return the day before 1 May, amazon.fr",
			"amazon.fr", "Europe/Paris", "2026-04-30T10:00:00+02:00", "2026-05-05T23:59:59+02:00"},
		{"return on 1 May itself, amazon.de",
			"amazon.de", "Europe/Berlin", "2026-05-01T10:00:00+02:00", "2026-05-05T23:59:59+02:00"},
		{"the day before 1 May, amazon.co.uk: 1 May counts, the bank holiday is Monday 4 May",
			"amazon.co.uk", "Europe/London", "2026-04-30T10:00:00+01:00", "2026-05-05T23:59:59+01:00"},
		{"Festa della Repubblica, amazon.it",
			"amazon.it", "Europe/Rome", "2026-06-01T10:00:00+02:00", "2026-06-04T23:59:59+02:00"},
		{"San Francesco on Monday 4 October 2027, amazon.it",
			"amazon.it", "Europe/Rome", "2027-10-01T10:00:00+02:00", "2027-10-06T23:59:59+02:00"},
		{"King's Day, amazon.nl",
			"amazon.nl", "Europe/Amsterdam", "2026-04-24T10:00:00+02:00", "2026-04-29T23:59:59+02:00"},
		{"Belgian National Day, amazon.com.be",
			"amazon.com.be", "Europe/Brussels", "2026-07-20T10:00:00+02:00", "2026-07-23T23:59:59+02:00"},
		{"the day before Christmas Eve, amazon.pl: Wigilia is off",
			"amazon.pl", "Europe/Warsaw", "2026-12-23T10:00:00+01:00", "2026-12-29T23:59:59+01:00"},
		{"the day before Christmas Eve, amazon.fr: Christmas Eve counts",
			"amazon.fr", "Europe/Paris", "2026-12-23T10:00:00+01:00", "2026-12-28T23:59:59+01:00"},
		{"Midsummer Eve, amazon.se",
			"amazon.se", "Europe/Stockholm", "2026-06-18T10:00:00+02:00", "2026-06-23T23:59:59+02:00"},
		{"Thanksgiving, amazon.com: the Friday after counts",
			"amazon.com", "America/New_York", "2026-11-25T10:00:00-05:00", "2026-11-30T23:59:59-05:00"},
		{"Independence Day on a Saturday, amazon.com: off on Friday 3 July",
			"amazon.com", "America/New_York", "2026-07-02T10:00:00-04:00", "2026-07-07T23:59:59-04:00"},
		{"New Year's Day 2028 on a Saturday, amazon.com: off on Friday 31 December",
			"amazon.com", "America/New_York", "2027-12-30T10:00:00-05:00", "2028-01-04T23:59:59-05:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, ok := sfp.DefaultSLA().DueAt(sfp.KindReturnReceived, mustTime(t, tt.received), tt.m, zone(t, tt.zone))
			if !ok {
				t.Fatal("return_received has no deadline")
			}
			if diff := cmp.Diff(tt.want, due.Format(time.RFC3339)); diff != "" {
				t.Errorf("due (-want +got):\n%s", diff)
			}
		})
	}
}

// Amazon's clock for questions: 24 hours of calendar time, weekends and
// holidays included (DESIGN §1).
func TestDueAtQuestions(t *testing.T) {
	tests := []struct {
		name     string
		kind     sfp.Kind
		m        sfp.Marketplace
		zone     string
		received string
		want     string
	}{
		{"question on a Friday evening is due on Saturday evening",
			sfp.KindProductQuestion, "amazon.fr", "Europe/Paris", "2026-03-13T18:00:00+01:00", "2026-03-14T18:00:00+01:00"},
		{"question on Christmas Eve is due on Christmas Day",
			sfp.KindPreOrderQuestion, "amazon.co.uk", "Europe/London", "2026-12-24T15:00:00Z", "2026-12-25T15:00:00Z"},
		{"question across the change to summer time: 24 hours, not the same clock time",
			sfp.KindOrderQuestion, "amazon.fr", "Europe/Paris", "2026-03-28T12:00:00+01:00", "2026-03-29T13:00:00+02:00"},
		{"question across the change to winter time",
			sfp.KindOrderQuestion, "amazon.de", "Europe/Berlin", "2026-10-24T12:00:00+02:00", "2026-10-25T11:00:00+01:00"},
		{"question on New Year's Eve before midnight",
			sfp.KindCSContact, "amazon.fr", "Europe/Paris", "2026-12-31T23:30:00+01:00", "2027-01-01T23:30:00+01:00"},
		{"question on 1 May",
			sfp.KindProductQuestion, "amazon.de", "Europe/Berlin", "2026-05-01T09:00:00+02:00", "2026-05-02T09:00:00+02:00"},
		{"question received in UTC is shown in the seller's offset",
			sfp.KindCSContact, "amazon.fr", "Europe/Paris", "2026-06-10T08:00:00Z", "2026-06-11T10:00:00+02:00"},
		{"question on Thanksgiving, amazon.com",
			sfp.KindOrderQuestion, "amazon.com", "America/New_York", "2026-11-26T10:00:00-05:00", "2026-11-27T10:00:00-05:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, ok := sfp.DefaultSLA().DueAt(tt.kind, mustTime(t, tt.received), tt.m, zone(t, tt.zone))
			if !ok {
				t.Fatalf("%s has no deadline", tt.kind)
			}
			if diff := cmp.Diff(tt.want, due.Format(time.RFC3339)); diff != "" {
				t.Errorf("due (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRefundNoticeHasNoDeadline(t *testing.T) {
	if due, ok := sfp.DefaultSLA().DueAt(sfp.KindRefundNotice, time.Now(), "amazon.fr", nil); ok {
		t.Errorf("refund_notice is due at %v, want no deadline", due)
	}
	if got := sfp.DefaultSLA().Reminders(sfp.KindRefundNotice, time.Now(), "amazon.fr", nil, []time.Duration{time.Hour}, time.Time{}); got != nil {
		t.Errorf("refund_notice reminders = %v, want none", got)
	}
}

// The zero SLA is the contract's defaults.
func TestNilSLAKeepsDefaults(t *testing.T) {
	var sla sfp.SLA
	if diff := cmp.Diff(sfp.DefaultSLA().String(), sla.String()); diff != "" {
		t.Errorf("nil SLA (-want +got):\n%s", diff)
	}
}

func TestParseSLA(t *testing.T) {
	const defaults = "pre_order_question=24h,product_question=24h,order_question=24h,cs_contact=24h,a_to_z_claim=72h,return_received=2bd"
	tests := []struct {
		name, in, want string
	}{
		{"unset keeps every default", "", defaults},
		{"the contract's default written out", defaults, defaults},
		{"one entry overrides its kind only", "cs_contact=12h",
			"pre_order_question=24h,product_question=24h,order_question=24h,cs_contact=12h,a_to_z_claim=72h,return_received=2bd"},
		{"several entries, spaces and any order", " return_received = 1bd , order_question=48h ",
			"pre_order_question=24h,product_question=24h,order_question=48h,cs_contact=24h,a_to_z_claim=72h,return_received=1bd"},
		{"a return in calendar time", "return_received=3d",
			"pre_order_question=24h,product_question=24h,order_question=24h,cs_contact=24h,a_to_z_claim=72h,return_received=3d"},
		{"an A-to-z claim's own deadline", "a_to_z_claim=48h",
			"pre_order_question=24h,product_question=24h,order_question=24h,cs_contact=24h,a_to_z_claim=48h,return_received=2bd"},
		{"a trailing comma is harmless", "cs_contact=90m,",
			"pre_order_question=24h,product_question=24h,order_question=24h,cs_contact=90m,a_to_z_claim=72h,return_received=2bd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sla, err := sfp.ParseSLA(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, sla.String()); diff != "" {
				t.Errorf("SLA (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSLAErrorsNameTheEntry(t *testing.T) {
	tests := []struct {
		name, in, entry string
	}{
		{"unknown kind", "cs_contact=12h,buyer_question=2h", "buyer_question=2h"},
		{"refund notices have no deadline", "refund_notice=1d", "refund_notice=1d"},
		{"return requests have no deadline", "return_requested=2bd", "return_requested=2bd"},
		{"no equals sign", "cs_contact", "cs_contact"},
		{"no duration", "cs_contact=", "cs_contact="},
		{"unknown unit", "cs_contact=12x", "cs_contact=12x"},
		{"no unit", "cs_contact=12", "cs_contact=12"},
		{"zero", "order_question=0h", "order_question=0h"},
		{"a kind given twice", "cs_contact=12h,cs_contact=6h", "cs_contact=6h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sfp.ParseSLA(tt.in)
			if err == nil {
				t.Fatalf("ParseSLA(%q) succeeded", tt.in)
			}
			if got := sfp.ErrorCode(err); got != sfp.EINVALID {
				t.Errorf("code = %q, want %q", got, sfp.EINVALID)
			}
			if msg := sfp.ErrorMessage(err); !strings.Contains(msg, `"`+tt.entry+`"`) {
				t.Errorf("message %q does not quote the entry %q", msg, tt.entry)
			}
		})
	}
}

func TestRemindersBeforeACalendarDeadline(t *testing.T) {
	due := mustTime(t, "2026-03-14T18:00:00+01:00")
	before := []time.Duration{6 * time.Hour, time.Hour}
	tests := []struct {
		name string
		now  string
		want []sfp.Reminder
	}{
		{"a fresh question gets both reminders", "2026-03-13T18:00:00+01:00", []sfp.Reminder{
			{At: mustTime(t, "2026-03-14T12:00:00+01:00"), Before: 6 * time.Hour},
			{At: mustTime(t, "2026-03-14T17:00:00+01:00"), Before: time.Hour},
		}},
		{"a question that arrives 20 hours late skips the one already past", "2026-03-14T14:00:00+01:00", []sfp.Reminder{
			{At: mustTime(t, "2026-03-14T17:00:00+01:00"), Before: time.Hour},
		}},
		{"a reminder due right now is past", "2026-03-14T17:00:00+01:00", nil},
		{"an overdue question gets none", "2026-03-15T09:00:00+01:00", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sfp.RemindersBefore(due, before, mustTime(t, tt.now))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reminders (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMorningRemindersOfARefundWindow(t *testing.T) {
	tests := []struct {
		name     string
		m        sfp.Marketplace
		zone     string
		received string
		now      string
		want     []string // RFC 3339, "!" after the due-today one
	}{
		{"return on Christmas Eve, amazon.fr: Monday, then Tuesday due today",
			"amazon.fr", "Europe/Paris", "2026-12-24T10:00:00+01:00", "2026-12-24T10:00:00+01:00",
			[]string{"2026-12-28T09:00:00+01:00", "2026-12-29T09:00:00+01:00!"}},
		{"return on Christmas Eve, amazon.co.uk: Tuesday and Wednesday",
			"amazon.co.uk", "Europe/London", "2026-12-24T10:00:00Z", "2026-12-24T10:00:00Z",
			[]string{"2026-12-29T09:00:00Z", "2026-12-30T09:00:00Z!"}},
		{"return on a Monday at 07:00: no reminder on the arrival day",
			"amazon.fr", "Europe/Paris", "2026-03-16T07:00:00+01:00", "2026-03-16T07:00:00+01:00",
			[]string{"2026-03-17T09:00:00+01:00", "2026-03-18T09:00:00+01:00!"}},
		{"recorded late, after the first morning: only due today is left",
			"amazon.fr", "Europe/Paris", "2026-12-24T10:00:00+01:00", "2026-12-28T11:00:00+01:00",
			[]string{"2026-12-29T09:00:00+01:00!"}},
		{"recorded after the deadline: none",
			"amazon.fr", "Europe/Paris", "2026-12-24T10:00:00+01:00", "2026-12-30T08:00:00+01:00",
			nil},
		{"across summer time, 09:00 stays 09:00",
			"amazon.fr", "Europe/Paris", "2026-03-27T10:00:00+01:00", "2026-03-27T10:00:00+01:00",
			[]string{"2026-03-30T09:00:00+02:00", "2026-03-31T09:00:00+02:00!"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := zone(t, tt.zone)
			received := mustTime(t, tt.received)
			due, _ := sfp.DefaultSLA().DueAt(sfp.KindReturnReceived, received, tt.m, loc)
			var got []string
			for _, r := range sfp.MorningReminders(received, due, tt.m, loc, mustTime(t, tt.now)) {
				s := r.At.Format(time.RFC3339)
				if r.DueToday {
					s += "!"
				}
				got = append(got, s)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reminders (-want +got):\n%s", diff)
			}
		})
	}
}

// SLA.Reminders picks the kind of reminders from the kind's unit.
func TestSLARemindersFollowTheClock(t *testing.T) {
	before := []time.Duration{6 * time.Hour, time.Hour}
	received := mustTime(t, "2026-12-24T10:00:00+01:00")
	sla := sfp.DefaultSLA()

	q := sla.Reminders(sfp.KindCSContact, received, "amazon.fr", nil, before, received)
	r := sla.Reminders(sfp.KindReturnReceived, received, "amazon.fr", nil, before, received)
	got := [][]string{format(q), format(r)}
	want := [][]string{
		{"2026-12-25T04:00:00+01:00", "2026-12-25T09:00:00+01:00"},
		{"2026-12-28T09:00:00+01:00", "2026-12-29T09:00:00+01:00"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("question then return reminders (-want +got):\n%s", diff)
	}
}

func format(rs []sfp.Reminder) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.At.Format(time.RFC3339))
	}
	return out
}

func TestParseRemindBefore(t *testing.T) {
	tests := []struct {
		name, in string
		want     []time.Duration
	}{
		{"the default", "6h,1h", []time.Duration{6 * time.Hour, time.Hour}},
		{"any order, longest first", "1h, 6h, 30m", []time.Duration{6 * time.Hour, time.Hour, 30 * time.Minute}},
		{"claim reminders in days", "7d,1d", []time.Duration{7 * 24 * time.Hour, 24 * time.Hour}},
		{"repeats once", "1h,60m", []time.Duration{time.Hour}},
		{"empty means none", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sfp.ParseRemindBefore(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{"1bd", "0h", "6", "6h,soon"} {
		if _, err := sfp.ParseRemindBefore(bad); sfp.ErrorCode(err) != sfp.EINVALID {
			t.Errorf("ParseRemindBefore(%q) error = %v, want an EINVALID error", bad, err)
		}
	}
}

func TestInQuietHours(t *testing.T) {
	paris := mustLoc(t, "Europe/Paris")
	london := mustLoc(t, "Europe/London")
	night := sfp.QuietHours{From: 22 * 60, To: 7 * 60}
	lunch := sfp.QuietHours{From: 12 * 60, To: 14 * 60}
	tests := []struct {
		name string
		q    sfp.QuietHours
		at   string
		loc  *time.Location
		want bool
	}{
		{"22:00 starts the night", night, "2026-03-10T22:00:00+01:00", paris, true},
		{"21:59 is still evening", night, "2026-03-10T21:59:59+01:00", paris, false},
		{"after midnight is quiet", night, "2026-03-11T02:00:00+01:00", paris, true},
		{"06:59 is still quiet", night, "2026-03-11T06:59:00+01:00", paris, true},
		{"07:00 ends the night", night, "2026-03-11T07:00:00+01:00", paris, false},
		{"the seller's clock decides: 21:30 UTC is 22:30 in Paris", night, "2026-03-10T21:30:00Z", paris, true},
		{"…and 21:30 in London", night, "2026-03-10T21:30:00Z", london, false},
		{"a window that does not wrap", lunch, "2026-03-10T13:00:00+01:00", paris, true},
		{"outside a window that does not wrap", lunch, "2026-03-10T23:00:00+01:00", paris, false},
		{"no quiet hours", sfp.QuietHours{}, "2026-03-10T23:00:00+01:00", paris, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := mustTime(t, tt.at)
			got := sfp.InQuietHours(at, tt.loc, tt.q.From, tt.q.To)
			if got != tt.want || tt.q.Contains(at, tt.loc) != got {
				t.Errorf("InQuietHours(%s, %s, %s) = %v, want %v", tt.at, tt.loc, tt.q, got, tt.want)
			}
		})
	}
}

func TestParseQuietHours(t *testing.T) {
	tests := []struct {
		in   string
		want sfp.QuietHours
	}{
		{"22:00-07:00", sfp.QuietHours{From: 22 * 60, To: 7 * 60}},
		{" 7:30 - 08:15 ", sfp.QuietHours{From: 7*60 + 30, To: 8*60 + 15}},
		{"00:00-23:59", sfp.QuietHours{From: 0, To: 23*60 + 59}},
		{"", sfp.QuietHours{}},
	}
	for _, tt := range tests {
		got, err := sfp.ParseQuietHours(tt.in)
		if err != nil {
			t.Errorf("ParseQuietHours(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseQuietHours(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
	if got := (sfp.QuietHours{From: 22 * 60, To: 7 * 60}).String(); got != "22:00-07:00" {
		t.Errorf("String() = %q", got)
	}
	for _, bad := range []string{"22-07", "22:00", "24:00-07:00", "22:60-07:00", "22:00-22:00", "+1:00-07:00", "22:0-07:00", "night"} {
		if _, err := sfp.ParseQuietHours(bad); sfp.ErrorCode(err) != sfp.EINVALID {
			t.Errorf("ParseQuietHours(%q) error = %v, want an EINVALID error", bad, err)
		}
	}
}
