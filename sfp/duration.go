package sfp

import (
	"strconv"
	"strings"
	"time"
)

// Unit is the unit of a configured Duration.
type Unit string

const (
	Minutes      Unit = "m"
	Hours        Unit = "h"
	Days         Unit = "d"
	BusinessDays Unit = "bd"
)

// Duration is a whole number of minutes, hours, days or business days, as
// written in the configuration ("24h", "2bd"). Business days cannot be
// turned into a time.Duration: they depend on the calendar of the seller's
// marketplace and time zone.
type Duration struct {
	N    int
	Unit Unit
}

// ParseDuration reads "<whole number><unit>" with unit m, h, d or bd.
// defaultUnit, when not empty, is used for a bare number.
func ParseDuration(s string, defaultUnit Unit) (Duration, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return Duration{}, Errorf(EINVALID, "%q is not a duration: write a whole number and a unit (m, h, d or bd), e.g. 24h", s)
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil || n > 100000 {
		return Duration{}, Errorf(EINVALID, "%q is too long a duration", s)
	}
	u := Unit(s[i:])
	switch u {
	case Minutes, Hours, Days, BusinessDays:
	case "":
		if defaultUnit == "" {
			return Duration{}, Errorf(EINVALID, "%q has no unit: write m, h, d or bd after the number, e.g. %sh", s, s[:i])
		}
		u = defaultUnit
	default:
		return Duration{}, Errorf(EINVALID, "%q has an unknown unit %q: use m, h, d or bd", s, u)
	}
	return Duration{N: n, Unit: u}, nil
}

// IsBusiness reports whether the duration counts business days.
func (d Duration) IsBusiness() bool { return d.Unit == BusinessDays }

// Calendar returns the duration in calendar time; ok is false for business
// days.
func (d Duration) Calendar() (time.Duration, bool) {
	switch d.Unit {
	case Minutes:
		return time.Duration(d.N) * time.Minute, true
	case Hours:
		return time.Duration(d.N) * time.Hour, true
	case Days:
		return time.Duration(d.N) * 24 * time.Hour, true
	}
	return 0, false
}

// IsZero reports whether d is the zero duration.
func (d Duration) IsZero() bool { return d.N == 0 }

func (d Duration) String() string { return strconv.Itoa(d.N) + string(d.Unit) }
