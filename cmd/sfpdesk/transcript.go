package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
)

// transcript renders what people saw in Slack as plain text: the demo's
// output, and what end-to-end tests read.
type transcript struct {
	users    map[string]string // id → name
	channels map[string]string // id → name
	loc      *time.Location
	lang     string // the bot's, for dates as Slack shows them
	// sceneDay and lineDay are the days last shown, so that a time is
	// shown with its day where the day changes.
	sceneDay, lineDay string
}

// when is t's time of day, with the day before it where the day is not
// the one last shown through last.
func (t *transcript) when(at time.Time, last *string) string {
	at = at.In(t.loc)
	day := bot.Day(at, t.lang)
	if day == *last {
		return at.Format("15:04")
	}
	*last = day
	return bot.DayTime(at, t.lang)
}

var (
	dateTagRe = regexp.MustCompile(`<!date\^(\d+)\^[^|>]*\|[^>]*>`)
	userRe    = regexp.MustCompile(`<@([UW][A-Z0-9]+)(?:\|[^>]*)?>`)
	chanRe    = regexp.MustCompile(`<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>`)
	groupRe   = regexp.MustCompile(`<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>`)
	linkRe    = regexp.MustCompile(`<(https?://[^|>]+)\|([^>]*)>`)
	bareRe    = regexp.MustCompile(`<(https?://[^|>]+)>`)
	boldRe    = regexp.MustCompile(`\*([^*\n]+)\*`)
	emoji     = strings.NewReplacer(
		":outbox_tray:", "📤", ":inbox_tray:", "📥", ":white_check_mark:", "✅",
		":speech_balloon:", "💬", ":warning:", "⚠️", ":rotating_light:", "🚨",
		":paperclip:", "📎", ":tada:", "🎉", ":information_source:", "ℹ️",
		":disappointed:", "😞", ":alarm_clock:", "⏰", ":arrow_right:", "➡️",
		":moneybag:", "💰", ":receipt:", "🧾", ":truck:", "🚚", ":no_entry_sign:", "🚫",
		":package:", "📦", ":hourglass:", "⌛", ":arrows_counterclockwise:", "🔄",
	)
)

// text turns Slack's mrkdwn markup into what a reader sees.
func (t *transcript) text(s string) string {
	s = dateTagRe.ReplaceAllStringFunc(s, func(m string) string {
		sec, _ := strconv.ParseInt(dateTagRe.FindStringSubmatch(m)[1], 10, 64)
		return bot.DayTime(time.Unix(sec, 0).In(t.loc), t.lang)
	})
	s = userRe.ReplaceAllStringFunc(s, func(m string) string {
		id := userRe.FindStringSubmatch(m)[1]
		if n, ok := t.users[id]; ok {
			return "@" + n
		}
		return "@" + id
	})
	s = chanRe.ReplaceAllStringFunc(s, func(m string) string {
		sm := chanRe.FindStringSubmatch(m)
		if n, ok := t.channels[sm[1]]; ok {
			return "#" + n
		}
		if sm[2] != "" {
			return "#" + sm[2]
		}
		return "#" + sm[1]
	})
	s = groupRe.ReplaceAllString(s, "$1")
	s = linkRe.ReplaceAllString(s, "$2")
	s = bareRe.ReplaceAllString(s, "$1")
	s = boldRe.ReplaceAllString(s, "$1")
	s = emoji.Replace(s)
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// blocks renders Block Kit as lines of text; buttons show as [Label].
func (t *transcript) blocks(raw json.RawMessage, fallback string) []string {
	var bs []struct {
		Type     string                  `json:"type"`
		Text     *struct{ Text string }  `json:"text"`
		Fields   []struct{ Text string } `json:"fields"`
		Elements []struct {
			Type string          `json:"type"`
			Text json.RawMessage `json:"text"`
		} `json:"elements"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &bs) != nil || len(bs) == 0 {
		return strings.Split(t.text(fallback), "\n")
	}
	var out []string
	for _, b := range bs {
		switch b.Type {
		case "header":
			if b.Text != nil {
				out = append(out, "▌ "+t.text(b.Text.Text))
			}
		case "section":
			if b.Text != nil {
				out = append(out, strings.Split(t.text(b.Text.Text), "\n")...)
			}
			// Slack shows a field's label above its value; on one line they
			// take the colon of the language.
			colon := ": "
			if t.lang == bot.LangFR {
				colon = "\u202f: "
			}
			var fs []string
			for _, f := range b.Fields {
				fs = append(fs, strings.ReplaceAll(t.text(f.Text), "\n", colon))
			}
			if len(fs) > 0 {
				out = append(out, strings.Join(fs, " · "))
			}
		case "context":
			for _, e := range b.Elements {
				var s string
				if json.Unmarshal(e.Text, &s) != nil {
					var o struct{ Text string }
					json.Unmarshal(e.Text, &o)
					s = o.Text
				}
				for _, l := range strings.Split(t.text(s), "\n") {
					out = append(out, "  "+l)
				}
			}
		case "actions":
			var btns []string
			for _, e := range b.Elements {
				var o struct{ Text string }
				json.Unmarshal(e.Text, &o)
				btns = append(btns, "["+o.Text+"]")
			}
			out = append(out, strings.Join(btns, " "))
		case "divider":
			out = append(out, "────")
		}
	}
	return out
}

// channel renders a channel's history, threads indented under their
// parent.
func (t *transcript) channel(fake *fakeslack.Server, id string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%s\n", t.channels[id])
	t.lineDay = ""
	msgs := fake.Messages(id)
	if len(msgs) == 0 {
		b.WriteString("  (nothing)\n")
	}
	for _, m := range msgs {
		if m.IsReply() {
			continue
		}
		t.message(&b, m, "  ")
		if m.ReplyCount > 0 {
			for _, r := range fake.Thread(id, m.TS) {
				if r.TS != m.TS {
					t.message(&b, r, "      ↳ ")
				}
			}
		}
	}
	return b.String()
}

func (t *transcript) message(b *strings.Builder, m fakeslack.Message, indent string) {
	who := t.users[m.User]
	if m.BotID != "" && who == "" {
		who = "sfpdesk"
	}
	lines := t.blocks(m.Blocks, m.Text)
	pad := strings.Repeat(" ", len([]rune(indent)))
	fmt.Fprintf(b, "%s%s %s: %s\n", indent, t.when(m.Time, &t.lineDay), who, first(lines))
	for _, l := range rest(lines) {
		fmt.Fprintf(b, "%s      %s\n", pad, l)
	}
}

// ephemeral renders a private answer, as "only visible to you".
func (t *transcript) ephemeral(to, text string, blocks json.RawMessage) string {
	lines := t.blocks(blocks, text)
	var b strings.Builder
	fmt.Fprintf(&b, "  %s %s\n", bot.T(t.lang, "demo.only_sees", t.users[to]), first(lines))
	for _, l := range rest(lines) {
		fmt.Fprintf(&b, "      %s\n", l)
	}
	return b.String()
}

func first(ls []string) string {
	if len(ls) == 0 {
		return ""
	}
	return ls[0]
}

func rest(ls []string) []string {
	if len(ls) < 2 {
		return nil
	}
	return ls[1:]
}
