package sfp

import (
	"regexp"
	"strconv"
	"strings"
)

// Money is an amount in integer minor units (cents, pence, öre) of a
// currency. Refunds and claims never touch floating point: a claim for
// 39,90 € must ask for exactly 39,90 €.
type Money struct {
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"`
}

var amountRe = regexp.MustCompile(`^(\d{1,7})(?:[.,](\d{1,2}))?$`)

// ParseAmount reads "39,90", "39.90", "39.9" or "39" as minor units. The
// decimal comma is accepted because that is how most marketplaces write it.
func ParseAmount(s string) (int64, bool) {
	m := amountRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	units, _ := strconv.ParseInt(m[1], 10, 64)
	frac := m[2]
	if len(frac) == 1 {
		frac += "0"
	}
	cents := int64(0)
	if frac != "" {
		cents, _ = strconv.ParseInt(frac, 10, 64)
	}
	return units*100 + cents, true
}

// Decimal writes the amount with two decimals and the given separator.
func (m Money) Decimal(sep string) string {
	neg := m.Minor < 0
	v := m.Minor
	if neg {
		v = -v
	}
	s := strconv.FormatInt(v/100, 10) + sep + leftPad2(v%100)
	if neg {
		s = "-" + s
	}
	return s
}

// Format writes the amount as buyers of the marketplace read it:
// "39,90 €" in France, "£39.90" in the UK, "$39.90" in the US.
func (m Money) Format(mp Marketplace) string {
	switch m.Currency {
	case "GBP":
		return "£" + m.Decimal(".")
	case "USD":
		return "$" + m.Decimal(".")
	case "EUR":
		if mp == "amazon.nl" {
			return "€" + nbsp + m.Decimal(",")
		}
		return m.Decimal(",") + nbsp + "€"
	case "PLN":
		return m.Decimal(",") + nbsp + "zł"
	case "SEK":
		return m.Decimal(",") + nbsp + "kr"
	}
	return m.Decimal(".") + nbsp + m.Currency
}

// nbsp keeps an amount and its currency on one line, as typography wants.
const nbsp = "\u00a0"

func leftPad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}
