package bot

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Fallback is the top-level text of a message: what notifications, push
// previews and screen readers show, and what the bot sends with every
// chat.postMessage, chat.update and ephemeral answer. It is made here and
// nowhere else, from the blocks: their mrkdwn is escaped by the views as
// they build it, and their plain text is escaped here, so the fallback can
// never carry raw a "<!channel>" that the blocks show escaped. A message
// without blocks is its text, mrkdwn built like a section's, whole.
func Fallback(text string, blocks []slack.Block) string {
	if len(blocks) == 0 {
		return text
	}
	var lines []string
	add := func(t *slack.TextBlockObject) {
		if t == nil || strings.TrimSpace(t.Text) == "" {
			return
		}
		if t.Type == slack.PlainTextType {
			lines = append(lines, Escape(t.Text))
			return
		}
		lines = append(lines, t.Text)
	}
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			add(b.Text)
		case *slack.SectionBlock:
			if b.Text != nil {
				add(b.Text)
				continue
			}
			for _, f := range b.Fields {
				add(f)
			}
		case *slack.ContextBlock:
			var parts []string
			for _, e := range b.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok && strings.TrimSpace(t.Text) != "" {
					if t.Type == slack.PlainTextType {
						parts = append(parts, Escape(t.Text))
					} else {
						parts = append(parts, t.Text)
					}
				}
			}
			if len(parts) > 0 {
				lines = append(lines, strings.Join(parts, " "))
			}
		}
	}
	return cutMrkdwn(strings.Join(lines, "\n"), MaxFallbackText)
}

// FallbackText is the message's Fallback, as the outbox stores it beside
// the blocks: whatever later reads the stored text reads the safe one.
func (m Message) FallbackText() string {
	return cutMrkdwn(Fallback(m.Text, m.Blocks), MaxMessageText)
}

// cutMrkdwn cuts mrkdwn to max characters without leaving half of an
// entity ("&am") or of Slack's markup ("<@U12"): a half-token would show
// as garbage, or swallow the text after it.
func cutMrkdwn(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	s = strings.TrimSuffix(Cut(s, max), "…")
	if i := strings.LastIndexByte(s, '<'); i >= 0 && !strings.Contains(s[i:], ">") {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '&'); i >= 0 && !strings.Contains(s[i:], ";") {
		s = s[:i]
	}
	return s + "…"
}

var boldRe = regexp.MustCompile(`\*([^*\n]+)\*`)

// PlainFromMrkdwn is the plain text a reader sees of mrkdwn the bot made:
// for the places Slack shows only plain text, such as a modal's errors.
// Links and mentions become their labels, entities their characters, and
// code and bold marks go.
func PlainFromMrkdwn(s string) string {
	s = PlainText(s)
	s = boldRe.ReplaceAllString(s, "$1")
	return strings.ReplaceAll(s, "`", "")
}
