package sfp

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	sellerRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	orderRe   = regexp.MustCompile(`^\d{3}-\d{7}-\d{7}$`)
	orderLike = regexp.MustCompile(`^\d+-\d+-\d+$`)
	asinRe    = regexp.MustCompile(`^[A-Z0-9]{10}$`)
	caseRe    = regexp.MustCompile(`^(?i)SFP-(\d{1,12})$`)
	channelRe = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)
)

// ParseSeller normalises a seller name: sellers are named case-insensitively
// and stored in lower case.
func ParseSeller(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	return s, sellerRe.MatchString(s)
}

// ValidOrderID reports whether s is an Amazon order id (3-7-7 digits).
func ValidOrderID(s string) bool { return orderRe.MatchString(s) }

// LooksLikeOrderID reports whether s has an order id's shape (digits and two
// dashes) even if the groups have the wrong lengths: the slash grammar treats
// such a token as an order id and then insists that it is a valid one.
func LooksLikeOrderID(s string) bool { return orderLike.MatchString(s) }

// ValidASIN reports whether s is an ASIN.
func ValidASIN(s string) bool { return asinRe.MatchString(s) }

// ValidChannelID reports whether s looks like a Slack conversation id.
func ValidChannelID(s string) bool { return channelRe.MatchString(s) }

// FirstCaseNumber is the number of the first case ever created.
const FirstCaseNumber = 1001

// CaseID formats a case number as the id people type.
func CaseID(n uint64) string { return "SFP-" + strconv.FormatUint(n, 10) }

// ParseCaseID accepts "SFP-1001" in any case and returns its canonical form
// and number.
func ParseCaseID(s string) (string, uint64, bool) {
	m := caseRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", 0, false
	}
	n, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return CaseID(n), n, true
}
