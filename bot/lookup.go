package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// maxHistory is how many of a case's events a look-up shows, newest last.
const maxHistory = 12

// CaseDetail is a case as /sfp case shows it: state, deadline, who asked,
// took and answered, its history and a link to its card.
func CaseDetail(c *sfp.Case, lang, permalink string, loc *time.Location) Message {
	l := lang
	title := T(l, "card.title."+string(c.Kind), c.ID)
	var fields []*slack.TextBlockObject
	field := func(label, value string) {
		if value != "" && len(fields) < 10 {
			fields = append(fields, mrkdwn(Cut("*"+label+"*\n"+value, MaxContextText)))
		}
	}
	field(T(l, "card.seller"), Escape(c.Seller)+" · "+string(c.Marketplace))
	field(T(l, "card.state"), stateLine(c, l))
	field(T(l, "card.order"), Escape(c.OrderID))
	field(T(l, "card.from"), fromLine(c, l))
	if c.DueAt != nil {
		due := DateTag(*c.DueAt, l)
		if c.Breached {
			due = ":rotating_light: " + due + " · " + T(l, "lookup.late")
		}
		field(T(l, "card.deadline"), due)
	}
	if c.AnsweredAt != nil {
		field(T(l, "lookup.response_time"), Duration(c.AnsweredAt.Sub(c.ReceivedAt), l))
	}
	if permalink != "" {
		field(T(l, "lookup.card"), "<"+permalink+"|"+T(l, "lookup.open_card")+">")
	} else if c.Card.Channel != "" {
		field(T(l, "lookup.card"), ChannelLink(c.Card.Channel))
	}
	blocks := []slack.Block{section("*" + Escape(title) + "*")}
	if len(fields) > 0 {
		blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))
	}
	if strings.TrimSpace(c.Body) != "" {
		blocks = append(blocks, section(Quote(c.Body, 600)))
	}
	var hist []string
	start := 0
	if len(c.Events) > maxHistory {
		start = len(c.Events) - maxHistory
	}
	for _, e := range c.Events[start:] {
		line := DateTag(e.At, l) + " · " + T(l, "event."+e.Type)
		if e.By != "" && e.By != "intake" {
			line += " · " + Mention(e.By)
		}
		hist = append(hist, line)
	}
	if len(hist) > 0 {
		blocks = append(blocks, contextLine(strings.Join(hist, "\n")))
	}
	return Message{Text: title, Blocks: blocks}
}

// CaseLine is one line of a list of cases.
func CaseLine(c *sfp.Case, lang string, now time.Time) string {
	l := lang
	s := fmt.Sprintf("`%s` *%s* · %s", c.ID, Escape(c.Seller), T(l, "kind."+string(c.Kind)))
	if c.DueAt != nil {
		if c.DueAt.Before(now) {
			s = ":rotating_light: " + s + " · " + T(l, "lookup.late_since", DateTag(*c.DueAt, l))
		} else {
			s += " · " + T(l, "lookup.due", DateTag(*c.DueAt, l))
		}
	}
	if c.TakenBy != "" {
		s += " · " + T(l, "card.taken_by", Mention(c.TakenBy))
	}
	if c.Triage {
		s += " · _" + T(l, "lookup.triage") + "_"
	}
	return s
}

// Duration writes a response time the way Seller Central does: hours and
// minutes.
func Duration(d time.Duration, lang string) string {
	if d < 0 {
		d = 0
	}
	h := int(d.Hours())
	m := int(d.Minutes()) % 60
	switch {
	case h == 0:
		return T(lang, "duration.min", m)
	case m == 0:
		return Tn(lang, "duration.hours", h, h)
	}
	return T(lang, "duration.hours_min", h, m)
}
