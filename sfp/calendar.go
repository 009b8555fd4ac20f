package sfp

import (
	"slices"
	"strings"
	"sync"
	"time"
	// Embedded zone data: sellers' zones (Europe/Paris, America/New_York…)
	// must resolve on a container image without /usr/share/zoneinfo, or a
	// refund deadline would silently fall back to UTC.
	_ "time/tzdata"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/aa"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/us"
)

// The refund clock runs in business days: "refund a returned item within 2
// business days of it reaching the seller's warehouse" (SFP programme
// policy). A business day is Monday to Friday, less the marketplace
// country's national public holidays on the day they are observed. Regional
// holidays are left out on purpose: a missing holiday makes a deadline
// earlier, never later, so the seller is never told they have more time than
// Amazon gives.
//
// The lists are rickar/cal's national lists, with these decisions:
//
//   - FR: the 11 national holidays; Alsace-Moselle's Good Friday and 26
//     December are regional and left out. No substitute days in France.
//   - DE: the 9 nationwide holidays (de.Holidays), none of the Länder lists.
//   - ES: the national list (es.Holidays: 1 and 6 January, Good Friday,
//     1 May, 15 August, 12 October, 1 November, 6 and 8 December,
//     25 December). Maundy Thursday (Jueves Santo) and
//     Easter Monday are chosen by each autonomous community, so they are
//     business days here; so are the Mondays some communities give when a
//     national holiday falls on a Sunday.
//   - IT: the national list, plus 4 October (San Francesco d'Assisi), a
//     national holiday again from 2026 (legge 8 ottobre 2025, n. 151), which
//     rickar/cal v2.1.13 predates. Patron saints' days are local.
//   - GB: England and Wales bank holidays (gb.Holidays), the practice of most
//     sellers shipping from the UK; Scotland and Northern Ireland's extra days
//     are left out. Substitute days count: a bank holiday on a weekend moves
//     to the next weekday (Boxing Day 2026, a Saturday, is off on Monday
//     28 December).
//   - US: the 11 federal holidays (us.Holidays; not the day after
//     Thanksgiving), observed on the Friday before when they fall on a
//     Saturday and on the Monday after when they fall on a Sunday (5 U.S.C.
//     6103), including New Year's Day observed on 31 December of the year
//     before.
//   - NL: the days of the Algemene termijnenwet, art. 3 (Good Friday and
//     5 May included, every year); King's Day moves to 26 April when
//     27 April is a Sunday.
//   - BE: the 10 legal holidays. The replacement day Belgian employers grant
//     for a holiday on a Sunday is chosen by each company, so it is not
//     counted.
//   - PL: the statutory days off (ustawa o dniach wolnych od pracy), plus
//     Christmas Eve from 2025 (ustawa z 6 grudnia 2024), which rickar/cal
//     v2.1.13 predates. No fixed substitute days.
//   - SE: the public holidays plus Midsummer Eve, Christmas Eve and New
//     Year's Eve, which Swedish law treats as holidays when computing
//     deadlines (lag (1930:173) om beräkning av lagstadgad tid).
var nationalHolidays = map[string][]*cal.Holiday{
	"FR": fr.Holidays,
	"DE": de.Holidays,
	"ES": es.Holidays,
	"IT": slices.Concat(it.Holidays, []*cal.Holiday{sanFrancesco}),
	"GB": gb.Holidays,
	"US": us.Holidays,
	"NL": nl.Holidays,
	"BE": be.Holidays,
	"PL": slices.Concat(pl.Holidays, []*cal.Holiday{wigilia}),
	"SE": se.Holidays,
}

var (
	sanFrancesco = &cal.Holiday{
		Name:      "San Francesco d'Assisi",
		Type:      cal.ObservancePublic,
		Month:     time.October,
		Day:       4,
		Func:      cal.CalcDayOfMonth,
		StartYear: 2026,
	}
	wigilia = &cal.Holiday{
		Name:      "Wigilia Bożego Narodzenia",
		Type:      cal.ObservancePublic,
		Month:     time.December,
		Day:       24,
		Func:      cal.CalcDayOfMonth,
		StartYear: 2025,
	}
)

// BusinessCalendar tells business days from days off for one marketplace.
// It is safe for concurrent use. Get one with CalendarFor.
//
// It uses rickar/cal's holiday rules (Holiday.Calc) but not its Calendar
// type: Calendar's optional cache is an unsynchronised map, and its
// IsHoliday stops at the first holiday whose actual date matches, so it can
// miss another holiday observed that day. Here each year's observed days
// are indexed once.
type BusinessCalendar struct {
	market   Marketplace
	loc      *time.Location
	holidays []*cal.Holiday

	mu    sync.RWMutex
	years map[int]map[date]HolidayDate
}

// HolidayDate is a day off for a public holiday.
type HolidayDate struct {
	// Date is the day that is off, as YYYY-MM-DD.
	Date string
	// Name is the holiday's name in the country's language.
	Name string
	// Substitute is true when the holiday itself falls on a weekend and
	// Date is the weekday observed in its place.
	Substitute bool
}

var calendars = sync.OnceValue(func() map[Marketplace]*BusinessCalendar {
	m := make(map[Marketplace]*BusinessCalendar, len(marketplaces))
	for _, mi := range marketplaces {
		loc, err := time.LoadLocation(mi.TimeZone)
		if err != nil {
			// Unreachable with time/tzdata embedded; UTC keeps the
			// calendar usable rather than failing every deadline.
			loc = time.UTC
		}
		m[mi.Domain] = &BusinessCalendar{
			market:   mi.Domain,
			loc:      loc,
			holidays: nationalHolidays[mi.Country],
			years:    make(map[int]map[date]HolidayDate),
		}
	}
	return m
})

// regionalHolidays are the public holidays of a region, by ISO 3166-2
// code, that a seller may add to its refund clock (Seller.Region): a
// warehouse shut on its region's holiday cannot refund that day. Only
// regions whose days follow a fixed rule are listed:
//
//   - DE: every Land, from rickar/cal's own lists (de.HolidaysBY, …),
//     which hold the nationwide days too.
//   - ES: rickar/cal has no regional lists, and each autonomous community
//     chooses some of its days anew every year. Listed are the days a
//     community keeps every year: Madrid's Jueves Santo and 2 May (Fiesta
//     de la Comunidad); Catalonia's Easter Monday, Sant Joan (24 June), La
//     Diada (11 September) and Sant Esteve (26 December). A day left out
//     makes a deadline earlier, never later.
var regionalHolidays = map[string][]*cal.Holiday{
	"DE-BW": de.HolidaysBW, "DE-BY": de.HolidaysBY, "DE-BE": de.HolidaysBE,
	"DE-BB": de.HolidaysBB, "DE-HB": de.HolidaysHB, "DE-HH": de.HolidaysHH,
	"DE-HE": de.HolidaysHE, "DE-MV": de.HolidaysMV, "DE-NI": de.HolidaysNI,
	"DE-NW": de.HolidaysNW, "DE-RP": de.HolidaysRP, "DE-SL": de.HolidaysSL,
	"DE-SN": de.HolidaysSN, "DE-ST": de.HolidaysST, "DE-SH": de.HolidaysSH,
	"DE-TH": de.HolidaysTH,
	"ES-MD": {
		aa.MaundyThursday.Clone(&cal.Holiday{Name: "Jueves Santo", Type: cal.ObservancePublic}),
		dayOf("Fiesta de la Comunidad de Madrid", time.May, 2),
	},
	"ES-CT": {
		aa.EasterMonday.Clone(&cal.Holiday{Name: "Dilluns de Pasqua Florida", Type: cal.ObservancePublic}),
		dayOf("Sant Joan", time.June, 24),
		dayOf("Diada Nacional de Catalunya", time.September, 11),
		dayOf("Sant Esteve", time.December, 26),
	},
}

func dayOf(name string, m time.Month, d int) *cal.Holiday {
	return &cal.Holiday{Name: name, Type: cal.ObservancePublic, Month: m, Day: d, Func: cal.CalcDayOfMonth}
}

// Regions lists the region codes Seller.Region takes, sorted.
func Regions() []string {
	out := make([]string, 0, len(regionalHolidays))
	for r := range regionalHolidays {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// ParseRegion accepts a region code of Regions in any case, and returns it
// in canonical form.
func ParseRegion(s string) (string, error) {
	r := strings.ToUpper(strings.TrimSpace(s))
	if _, ok := regionalHolidays[r]; ok {
		return r, nil
	}
	return "", Errorf(EINVALID, "%q is not a region sfpdesk knows the holidays of; regions are %s", s, strings.Join(Regions(), ", "))
}

// regional caches the calendars of a marketplace and a region.
var regional sync.Map // marketplace \x00 region → *BusinessCalendar

// RegionalCalendar returns the marketplace's business calendar with the
// region's public holidays added as days off. An empty or unknown region
// gives the national calendar (CalendarFor).
func RegionalCalendar(m Marketplace, region string) *BusinessCalendar {
	extra, ok := regionalHolidays[region]
	if !ok {
		return CalendarFor(m)
	}
	key := string(m) + "\x00" + region
	if c, ok := regional.Load(key); ok {
		return c.(*BusinessCalendar)
	}
	base := CalendarFor(m)
	c := &BusinessCalendar{
		market:   base.market,
		loc:      base.loc,
		holidays: slices.Concat(base.holidays, extra),
		years:    make(map[int]map[date]HolidayDate),
	}
	actual, _ := regional.LoadOrStore(key, c)
	return actual.(*BusinessCalendar)
}

// CalendarFor returns the marketplace's business calendar. An unknown
// marketplace gets amazon.fr's, as Marketplace.Info does, so that a bad
// stored value never stops a deadline from being computed.
func CalendarFor(m Marketplace) *BusinessCalendar {
	if c, ok := calendars()[m]; ok {
		return c
	}
	return calendars()[DefaultMarketplace]
}

// Location returns the marketplace's usual time zone, used when a seller has
// none of their own.
func (m Marketplace) Location() *time.Location { return CalendarFor(m).loc }

// Marketplace returns the storefront whose country's holidays the calendar
// holds.
func (c *BusinessCalendar) Marketplace() Marketplace { return c.market }

// IsBusinessDay reports whether t's date, in t's own location, is a
// business day: Monday to Friday and not an observed public holiday. Pass
// t.In(sellerZone) to ask about the seller's day.
func (c *BusinessCalendar) IsBusinessDay(t time.Time) bool {
	return c.isBusinessDate(dateOf(t))
}

// Holiday returns the name of the public holiday observed on t's date, in
// t's location. A holiday that falls on a weekend and is observed on a
// weekday is reported on the weekday only.
func (c *BusinessCalendar) Holiday(t time.Time) (name string, ok bool) {
	d := dateOf(t)
	h, ok := c.year(d.y)[d]
	return h.Name, ok
}

// Holidays lists the year's observed public holidays in date order,
// weekends included.
func (c *BusinessCalendar) Holidays(year int) []HolidayDate {
	tab := c.year(year)
	out := make([]HolidayDate, 0, len(tab))
	for _, h := range tab {
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b HolidayDate) int { return strings.Compare(a.Date, b.Date) })
	return out
}

// AddBusinessDays returns the same wall-clock time n business days after
// t's date (before it when n is negative), in t's location. t's own date
// never counts, whether or not it is a business day: a return that reaches
// the warehouse on a Sunday has its first business day on Monday, one that
// arrives on a Monday has it on Tuesday.
func (c *BusinessCalendar) AddBusinessDays(t time.Time, n int) time.Time {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	d := dateOf(t)
	for n > 0 {
		d = d.add(step)
		if c.isBusinessDate(d) {
			n--
		}
	}
	h, mi, s := t.Clock()
	return time.Date(d.y, d.m, d.d, h, mi, s, t.Nanosecond(), t.Location())
}

func (c *BusinessCalendar) isBusinessDate(d date) bool {
	switch d.weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	_, hol := c.year(d.y)[d]
	return !hol
}

// year returns the observed holidays of year, computing them once.
func (c *BusinessCalendar) year(y int) map[date]HolidayDate {
	c.mu.RLock()
	tab, ok := c.years[y]
	c.mu.RUnlock()
	if ok {
		return tab
	}
	tab = make(map[date]HolidayDate)
	for _, h := range c.holidays {
		// A holiday of the next or previous year can be observed in this
		// one: US New Year's Day on a Saturday is off on 31 December.
		for _, hy := range []int{y - 1, y, y + 1} {
			actual, observed := h.Calc(hy)
			if observed.IsZero() {
				continue
			}
			od := dateOf(observed)
			if od.y != y {
				continue
			}
			if _, taken := tab[od]; taken {
				continue // two holidays on one day: the first listed names it
			}
			tab[od] = HolidayDate{Date: od.String(), Name: h.Name, Substitute: dateOf(actual) != od}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.years[y]; ok {
		return prev
	}
	c.years[y] = tab
	return tab
}

// date is a day of the calendar, free of any time zone.
type date struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) date {
	y, m, d := t.Date()
	return date{y, m, d}
}

// noon is the date at midday UTC, where day arithmetic never meets a
// daylight-saving change.
func (d date) noon() time.Time { return time.Date(d.y, d.m, d.d, 12, 0, 0, 0, time.UTC) }

func (d date) add(days int) date { return dateOf(d.noon().AddDate(0, 0, days)) }

func (d date) before(e date) bool { return d.noon().Before(e.noon()) }

func (d date) weekday() time.Weekday { return d.noon().Weekday() }

func (d date) String() string { return d.noon().Format(time.DateOnly) }
