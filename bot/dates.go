package bot

import (
	"fmt"
	"time"
)

// French abbreviations, as French typography writes them.
var (
	frDays   = [...]string{"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."}
	frMonths = [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
)

// DayTime is a date and time as people read them in lang, in t's own
// location: "Tue 24 Nov 09:40", « mar. 24 nov. 09:40 ». Every date the bot
// writes as text takes this one shape per language.
func DayTime(t time.Time, lang string) string {
	return Day(t, lang) + " " + t.Format("15:04")
}

// Day is a date without the time: "Tue 24 Nov", « mar. 24 nov. ».
func Day(t time.Time, lang string) string {
	if lang == LangFR {
		return fmt.Sprintf("%s %d %s", frDays[t.Weekday()], t.Day(), frMonths[t.Month()-1])
	}
	return t.Format("Mon 2 Jan")
}

// Date is a date with its year, for what is filed or kept: "24 Nov 2026",
// « 24 nov. 2026 ».
func Date(t time.Time, lang string) string {
	if lang == LangFR {
		return fmt.Sprintf("%d %s %d", t.Day(), frMonths[t.Month()-1], t.Year())
	}
	return t.Format("2 Jan 2006")
}

// PlainDate is a date and time as text where Slack cannot show it in the
// reader's own zone (notifications, modal errors): DayTime with the offset
// from UTC, which reads the same whatever t's location is called.
func PlainDate(t time.Time, lang string) string { return DayTime(t, lang) + " " + zoneName(t) }

// zoneName is t's offset from UTC the same way whatever its location is
// called: "UTC", "UTC+1", "UTC+5:30". Zone abbreviations are not: a time
// read back from the store has only its offset, and would show "+0100"
// where a fresh one shows "CET".
func zoneName(t time.Time) string {
	_, off := t.Zone()
	if off == 0 {
		return "UTC"
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	h, m := off/3600, off%3600/60
	if m != 0 {
		return fmt.Sprintf("UTC%s%d:%02d", sign, h, m)
	}
	return fmt.Sprintf("UTC%s%d", sign, h)
}
