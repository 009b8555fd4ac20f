package sfp

import "strings"

// Marketplace is an Amazon storefront by its domain, e.g. "amazon.fr".
type Marketplace string

// DefaultMarketplace is used when a contact names none.
const DefaultMarketplace Marketplace = "amazon.fr"

// MarketplaceInfo is what the bot needs to know of a storefront: whose public
// holidays count as non-business days, the currency refunds are in, the
// buyers' usual language and the seller's likely time zone.
type MarketplaceInfo struct {
	Domain   Marketplace
	Country  string // ISO 3166-1 alpha-2
	Currency string // ISO 4217
	Language string // ISO 639-1
	TimeZone string // IANA
}

var marketplaces = []MarketplaceInfo{
	{"amazon.fr", "FR", "EUR", "fr", "Europe/Paris"},
	{"amazon.de", "DE", "EUR", "de", "Europe/Berlin"},
	{"amazon.es", "ES", "EUR", "es", "Europe/Madrid"},
	{"amazon.it", "IT", "EUR", "it", "Europe/Rome"},
	{"amazon.co.uk", "GB", "GBP", "en", "Europe/London"},
	{"amazon.com", "US", "USD", "en", "America/New_York"},
	{"amazon.nl", "NL", "EUR", "nl", "Europe/Amsterdam"},
	{"amazon.com.be", "BE", "EUR", "fr", "Europe/Brussels"},
	{"amazon.pl", "PL", "PLN", "pl", "Europe/Warsaw"},
	{"amazon.se", "SE", "SEK", "sv", "Europe/Stockholm"},
}

// Marketplaces lists every supported storefront.
func Marketplaces() []MarketplaceInfo {
	return append([]MarketplaceInfo(nil), marketplaces...)
}

// ParseMarketplace accepts a storefront domain, case-insensitively.
func ParseMarketplace(s string) (Marketplace, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, m := range marketplaces {
		if string(m.Domain) == s {
			return m.Domain, true
		}
	}
	return "", false
}

// Info returns the storefront's facts; an unknown one gets amazon.fr's, so
// that a bad stored value never stops a deadline from being computed.
func (m Marketplace) Info() MarketplaceInfo {
	for _, mi := range marketplaces {
		if mi.Domain == m {
			return mi
		}
	}
	return marketplaces[0]
}

// Valid reports whether m is a supported storefront.
func (m Marketplace) Valid() bool {
	_, ok := ParseMarketplace(string(m))
	return ok && string(m) == strings.ToLower(string(m))
}
