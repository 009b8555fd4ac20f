package sfp

import (
	"net/url"
	"strings"
)

// ReplyTarget names where a seller's reply to an intake case goes, for
// the card: the integration's name when it gave one, else its callback's
// host without the port, which is plumbing nobody needs to read.
func (c *Case) ReplyTarget() string {
	if c.SourceName != "" {
		return c.SourceName
	}
	u, err := url.Parse(c.CallbackURL)
	if err != nil || u.Hostname() == "" {
		return c.CallbackURL
	}
	return u.Hostname()
}

// FirstName is as much of a buyer's name as sfpdesk shows or writes: the
// first word of it. A card, and a draft's greeting, need no more.
func FirstName(name string) string {
	f := strings.Fields(name)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
