package sfp

import "net/url"

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
