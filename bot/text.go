package bot

import (
	"strings"
	"unicode/utf8"
)

// Block Kit's limits, in characters.
const (
	MaxSectionText   = 3000
	MaxHeaderText    = 150
	MaxContextText   = 2000
	MaxButtonText    = 75
	MaxOptionText    = 75
	MaxModalTitle    = 24
	MaxInputInitial  = 3000
	MaxMessageText   = 40000
	MaxFallbackText  = 4000
	MaxBlocksMessage = 50
)

var (
	mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	slackUnescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")
)

// Escape makes untrusted text safe for mrkdwn: a customer's "<!channel>" or
// "<https://evil|amazon.fr>" must reach Slack as the characters typed, never
// as a mention or a disguised link. It is the one escaper: text is stored
// raw and escaped exactly once, here, on its way out. plain_text fields and
// input initial values take raw text, not this.
func Escape(s string) string { return mrkdwnEscaper.Replace(s) }

// Unescape undoes the escaping Slack applies to text it sends us (&, <, >),
// once, on the way in.
func Unescape(s string) string { return slackUnescape.Replace(s) }

// Cut shortens s to at most max characters (runes), on a rune boundary,
// ending with "…" when it had to cut. Invalid UTF-8 is replaced so that
// Slack never rejects a message for it.
func Cut(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	i, n := 0, 0
	for i < len(s) && n < max-1 {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
		n++
	}
	return s[:i] + "…"
}

// EscapeCut escapes s for mrkdwn and cuts the result to max characters
// without splitting an entity such as "&amp;".
func EscapeCut(s string, max int) string {
	e := Escape(s)
	if utf8.RuneCountInString(e) <= max {
		return e
	}
	// Cut the raw text first, then escape, shrinking until it fits:
	// escaping only ever lengthens, so this converges quickly.
	raw := []rune(s)
	n := max
	if n > len(raw) {
		n = len(raw)
	}
	for n > 0 {
		e = Escape(string(raw[:n-1])) + "…"
		if utf8.RuneCountInString(e) <= max {
			return e
		}
		n -= (utf8.RuneCountInString(e) - max) + 1
	}
	return "…"
}

// Quote turns untrusted text into an escaped mrkdwn block quote, cut to max.
func Quote(s string, max int) string {
	s = strings.TrimSpace(s)
	lines := strings.Split(EscapeCut(s, max-2*strings.Count(s, "\n")-2), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}
