package sfp

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SLA is the deadline of each kind of case (SFPDESK_SLA). A kind missing
// from the map keeps its contract default, so the zero SLA works; a kind
// with no default (refund_notice) has no deadline.
type SLA map[Kind]Duration

// defaultSLA is the contract's default (DESIGN §4.2). Questions run on
// Amazon's clock: a reply is late after 24 hours, weekends and holidays
// included. A return must be refunded within 2 business days of reaching the
// warehouse. A refund notice needs no answer, so it has no deadline; its
// claim has a filing deadline of its own (ClaimDeadline); nor does a
// return request, whose clock starts when the parcel is back.
var defaultSLA = SLA{
	KindPreOrderQuestion: {24, Hours},
	KindProductQuestion:  {24, Hours},
	KindOrderQuestion:    {24, Hours},
	KindCSContact:        {24, Hours},
	KindReturnReceived:   {2, BusinessDays},
	// Amazon grants an A-to-z claim the seller leaves unanswered for 72
	// hours, whatever the day.
	KindAToZClaim: {72, Hours},
}

// DefaultSLA returns a copy of the contract's default deadlines.
func DefaultSLA() SLA {
	s := make(SLA, len(defaultSLA))
	for k, d := range defaultSLA {
		s[k] = d
	}
	return s
}

// ParseSLA reads "kind=duration" entries separated by commas, e.g.
// "cs_contact=12h,return_received=1bd". Each entry overrides its kind's
// default; the other kinds keep theirs. An empty string gives the defaults.
// Errors are EINVALID and quote the entry at fault.
func ParseSLA(s string) (SLA, error) {
	sla := DefaultSLA()
	seen := map[Kind]bool{}
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name, val, found := strings.Cut(entry, "=")
		if !found {
			return nil, Errorf(EINVALID, "entry %q: write kind=duration, e.g. cs_contact=24h", entry)
		}
		k, ok := ParseKind(strings.ToLower(strings.TrimSpace(name)))
		if !ok {
			return nil, Errorf(EINVALID, "entry %q: unknown kind %q; kinds are %s", entry, strings.TrimSpace(name), kindNames())
		}
		if _, has := defaultSLA[k]; !has {
			return nil, Errorf(EINVALID, "entry %q: %s has no deadline", entry, k)
		}
		if seen[k] {
			return nil, Errorf(EINVALID, "entry %q: %s is given twice", entry, k)
		}
		seen[k] = true
		d, err := ParseDuration(val, "")
		if err != nil {
			return nil, Errorf(EINVALID, "entry %q: %s", entry, ErrorMessage(err))
		}
		if d.IsZero() {
			return nil, Errorf(EINVALID, "entry %q: a deadline must be more than zero", entry)
		}
		sla[k] = d
	}
	return sla, nil
}

func kindNames() string {
	var names []string
	for _, k := range slaOrder {
		if _, ok := defaultSLA[k]; ok {
			names = append(names, string(k))
		}
	}
	return strings.Join(names, ", ")
}

// For returns the kind's deadline; ok is false for a kind without one.
func (s SLA) For(k Kind) (d Duration, ok bool) {
	if _, has := defaultSLA[k]; !has {
		return Duration{}, false
	}
	if d, ok := s[k]; ok {
		return d, true
	}
	return defaultSLA[k], true
}

// slaOrder is the order SFPDESK_SLA's default lists the kinds in: the
// calendar-time clocks, then the refund clock.
var slaOrder = []Kind{
	KindPreOrderQuestion, KindProductQuestion, KindOrderQuestion, KindCSContact,
	KindAToZClaim, KindReturnReceived,
}

// String writes the SLA as ParseSLA reads it, kinds in the order of the
// contract's default.
func (s SLA) String() string {
	var parts []string
	for _, k := range slaOrder {
		if d, ok := s.For(k); ok {
			parts = append(parts, string(k)+"="+d.String())
		}
	}
	return strings.Join(parts, ",")
}

// DueAt returns when a case of kind k that arrived at receivedAt falls due,
// for a seller on marketplace m in time zone loc (nil: the marketplace's
// zone). ok is false for a kind with no deadline (refund_notice). The time
// is in loc, so that it prints with the seller's UTC offset.
func (s SLA) DueAt(k Kind, receivedAt time.Time, m Marketplace, loc *time.Location) (due time.Time, ok bool) {
	return s.DueOn(k, receivedAt, CalendarFor(m), loc)
}

// DueOn is DueAt on a given business calendar (RegionalCalendar), for a
// seller whose region adds days off.
func (s SLA) DueOn(k Kind, receivedAt time.Time, c *BusinessCalendar, loc *time.Location) (due time.Time, ok bool) {
	d, ok := s.For(k)
	if !ok {
		return time.Time{}, false
	}
	return c.DueAfter(receivedAt, d, loc), true
}

// DueAfter returns the end of a period of length d starting at start.
//
// Minutes, hours and days are calendar time: start plus d, weekends,
// holidays and daylight-saving changes included, as Amazon counts a reply
// late 24 hours after the buyer's message whatever the day.
//
// Business days end at 23:59:59 local time on the d-th business day after
// the local date of start; that date itself never counts, whether or not it
// is a business day. A return reaching an amazon.fr seller on Thursday
// 24 December 2026 is due on Tuesday 29 December at 23:59:59 (Christmas and
// the weekend skipped).
//
// loc is the seller's time zone (nil: the marketplace's); the marketplace
// decides whose public holidays are days off.
func DueAfter(start time.Time, d Duration, m Marketplace, loc *time.Location) time.Time {
	return CalendarFor(m).DueAfter(start, d, loc)
}

// DueAfter is the package's DueAfter on calendar c.
func (c *BusinessCalendar) DueAfter(start time.Time, d Duration, loc *time.Location) time.Time {
	if loc == nil {
		loc = c.loc
	}
	if !d.IsBusiness() {
		cd, _ := d.Calendar() // an unknown unit counts as zero: due at once, never late
		return start.Add(cd).In(loc)
	}
	day := c.AddBusinessDays(start.In(loc), d.N)
	return endOfDay(day)
}

func endOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 23, 59, 59, 0, t.Location())
}

// Reminder is one nudge before a deadline.
type Reminder struct {
	At time.Time
	// Before is how long before a calendar-time deadline the reminder
	// fires (as configured in SFPDESK_REMIND_BEFORE); zero for the morning
	// reminders of a business-day deadline.
	Before time.Duration
	// DueToday marks the morning reminder on the deadline's own day.
	DueToday bool
}

// ReminderHour is the local hour of the morning reminders of a business-day
// deadline: the start of a warehouse's day, when a refund can still be done
// that day.
const ReminderHour = 9

// Reminders returns the reminders of a case of kind k that arrived at
// receivedAt, later than now: before a calendar-time deadline, one for each
// of before; for a business-day deadline, one each business morning of the
// window. It returns nil for a kind with no deadline.
func (s SLA) Reminders(k Kind, receivedAt time.Time, m Marketplace, loc *time.Location, before []time.Duration, now time.Time) []Reminder {
	d, ok := s.For(k)
	if !ok {
		return nil
	}
	due := DueAfter(receivedAt, d, m, loc)
	if d.IsBusiness() {
		return MorningReminders(receivedAt, due, m, loc, now)
	}
	return RemindersBefore(due, before, now)
}

// RemindersBefore returns a reminder at due minus each of before, in
// before's order, leaving out those not after now: a case that arrives
// already late, or nearly so, gets only the reminders still ahead of it.
func RemindersBefore(due time.Time, before []time.Duration, now time.Time) []Reminder {
	var out []Reminder
	for _, b := range before {
		at := due.Add(-b)
		if at.After(now) {
			out = append(out, Reminder{At: at, Before: b})
		}
	}
	return out
}

// MorningReminders returns a reminder at ReminderHour local time on each
// business day of a business-day window, from the first business day after
// the local date of start to due's date, leaving out those not after now.
// The last is the "due today" reminder. A refund window has no reminder on
// the arrival day: the case card itself has just been posted.
func MorningReminders(start, due time.Time, m Marketplace, loc *time.Location, now time.Time) []Reminder {
	return CalendarFor(m).MorningReminders(start, due, loc, now)
}

// MorningReminders is the package's MorningReminders on calendar c.
func (c *BusinessCalendar) MorningReminders(start, due time.Time, loc *time.Location, now time.Time) []Reminder {
	if loc == nil {
		loc = c.loc
	}
	last := dateOf(due.In(loc))
	var out []Reminder
	for d := dateOf(start.In(loc)).add(1); !last.before(d); d = d.add(1) {
		if !c.isBusinessDate(d) {
			continue
		}
		at := time.Date(d.y, d.m, d.d, ReminderHour, 0, 0, 0, loc)
		if at.After(now) && at.Before(due) {
			out = append(out, Reminder{At: at, DueToday: d == last})
		}
	}
	return out
}

// ParseRemindBefore reads a comma-separated list of calendar durations, as
// in SFPDESK_REMIND_BEFORE ("6h,1h") and SFPDESK_CLAIM_REMIND_BEFORE
// ("7d,1d"), longest first and without repeats. Business days are refused:
// a reminder before a deadline is a fixed time ahead of it. An empty string
// means no reminders.
func ParseRemindBefore(s string) ([]time.Duration, error) {
	var out []time.Duration
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		d, err := ParseDuration(item, "")
		if err != nil {
			return nil, err
		}
		cd, ok := d.Calendar()
		if !ok {
			return nil, Errorf(EINVALID, "%q: a reminder is a time before the deadline; use m, h or d", item)
		}
		if cd <= 0 {
			return nil, Errorf(EINVALID, "%q: a reminder must come before the deadline", item)
		}
		if !slices.Contains(out, cd) {
			out = append(out, cd)
		}
	}
	slices.SortFunc(out, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	return out, nil
}

// TimeOfDay is a local wall-clock time, in minutes after midnight.
type TimeOfDay int

func (t TimeOfDay) String() string {
	h, m := int(t)/60, int(t)%60
	return leftPad2(int64(h)) + ":" + leftPad2(int64(m))
}

// QuietHours is a daily window, in the seller's local time, when reminders
// still arrive but mention nobody (SFPDESK_QUIET_HOURS). The zero value is
// no quiet hours.
type QuietHours struct {
	From, To TimeOfDay
}

// IsZero reports whether there are no quiet hours.
func (q QuietHours) IsZero() bool { return q == QuietHours{} }

func (q QuietHours) String() string {
	if q.IsZero() {
		return ""
	}
	return q.From.String() + "-" + q.To.String()
}

// Contains reports whether t falls in the quiet hours in loc.
func (q QuietHours) Contains(t time.Time, loc *time.Location) bool {
	return InQuietHours(t, loc, q.From, q.To)
}

// InQuietHours reports whether t, read in loc, falls in the window from
// (included) to (excluded). A window whose end is earlier than its start
// wraps midnight: 22:00-07:00 holds 23:30 and 06:59 but not 07:00. An empty
// window (from == to) holds nothing.
func InQuietHours(t time.Time, loc *time.Location, from, to TimeOfDay) bool {
	if loc != nil {
		t = t.In(loc)
	}
	h, m, s := t.Clock()
	sec := h*3600 + m*60 + s
	f, e := int(from)*60, int(to)*60
	switch {
	case f == e:
		return false
	case f < e:
		return sec >= f && sec < e
	default:
		return sec >= f || sec < e
	}
}

// ParseQuietHours reads "HH:MM-HH:MM" in 24-hour time, e.g. "22:00-07:00".
// An empty string means no quiet hours.
func ParseQuietHours(s string) (QuietHours, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return QuietHours{}, nil
	}
	// The rule is said once, whichever part is wrong.
	const rule = "write the start and the end in local 24-hour time as HH:MM-HH:MM, e.g. 22:00-07:00"
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return QuietHours{}, Errorf(EINVALID, "%q: %s", s, rule)
	}
	from, err := parseTimeOfDay(a)
	if err != nil {
		return QuietHours{}, Errorf(EINVALID, "%q: %q is not a time of day: %s", s, strings.TrimSpace(a), rule)
	}
	to, err := parseTimeOfDay(b)
	if err != nil {
		return QuietHours{}, Errorf(EINVALID, "%q: %q is not a time of day: %s", s, strings.TrimSpace(b), rule)
	}
	if from == to {
		return QuietHours{}, Errorf(EINVALID, "%q: the quiet hours start and end at the same time", s)
	}
	return QuietHours{From: from, To: to}, nil
}

func parseTimeOfDay(s string) (TimeOfDay, error) {
	s = strings.TrimSpace(s)
	hs, ms, ok := strings.Cut(s, ":")
	h, errH := strconv.Atoi(hs)
	m, errM := strconv.Atoi(ms)
	if !ok || errH != nil || errM != nil || !digits(hs, 1, 2) || !digits(ms, 2, 2) || h > 23 || m > 59 {
		return 0, Errorf(EINVALID, "%q is not a time of day: write HH:MM, from 00:00 to 23:59", s)
	}
	return TimeOfDay(h*60 + m), nil
}

// digits reports whether s is between min and max ASCII digits.
func digits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
