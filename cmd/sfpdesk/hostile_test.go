package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/bot"
)

// typedMarkup is what a buyer, an agent or a seller may type anywhere: a
// mention of everyone, of someone, a channel, a disguised link and a bare
// ampersand.
const typedMarkup = "Does it fit <!channel> <@U999> <#C1> <https://evil.example|amazon.fr> & more?"

// ownMarkup is what the bot writes itself: mentions of the test's users
// and channels (U0…, C0…), date tags, Slack's permalinks, and the forms of
// its commands' usage (`<#channel>`, Slack's `<#C…>` and `<!subteam^S…>`).
var ownMarkup = regexp.MustCompile(`<@U0[A-Z0-9]+>|<#C0[A-Z0-9]+(?:\|[^<>]*)?>|<!date\^\d+\^[^|>]*\|[^<>]*>|<https://[a-z0-9-]+\.slack\.com/archives/[^|<>]*(?:\|[^<>]*)?>|<#channel>|<#C…>|<!subteam\^S…>`)

var anyMarkup = regexp.MustCompile(`<[!@#]|<https?:`)

// mrkdwnOf is every text Slack would read as mrkdwn in a message: its
// top-level text and the mrkdwn of its blocks.
func mrkdwnOf(text string, blocks json.RawMessage) []string {
	out := []string{text}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "mrkdwn" {
				if s, ok := v["text"].(string); ok {
					out = append(out, s)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var tree any
	if json.Unmarshal(blocks, &tree) == nil {
		walk(tree)
	}
	return out
}

// The running bot, fed markup in every field a person types: an intake
// contact, an ask, replies in both directions, commands that go wrong,
// then a day on the clock for reminders and the escalation. Nothing Slack
// shows, fallback texts and private answers included, carries markup the
// bot did not make.
func TestTypedMarkupNeverReachesSlackAsMarkup(t *testing.T) {
	h := newPrivacyDesk(t, nil)
	h.Main.App.Settings.EscalationChannel = escal
	h.Fake.AddUser(karim, "karim", "Karim", false)
	h.Fake.AddChannel(escal, "sfp-escalations", false, lea, h.Fake.BotUserID())
	// What Slack sends of typed text: &, < and > escaped.
	typed := bot.Escape(typedMarkup)

	postContactAs(t, h, "hostile-1", typedMarkup, typedMarkup, 202)
	intakeCard := lastCard(t, h, acmeChan)
	var answers []string
	answer := func(text string) {
		answers = append(answers, text)
	}
	answer(slash(t, h, lea, csChan, "ask acme order "+order+" "+typed).Text)
	askCard := lastCard(t, h, acmeChan)
	confirm := lastCard(t, h, csChan)
	h.Fake.PostAsUser(acmeChan, marie, typed, askCard.TS)
	h.Fake.PostAsUser(csChan, lea, typed, confirm.TS)
	h.Fake.PostAsUser(acmeChan, marie, typed, intakeCard.TS)
	// A reply that breaks a messaging rule gets a private notice of what
	// the check found.
	h.Fake.PostAsUser(acmeChan, marie, typed+" Leave us a 5-star review and get a coupon: https://evil.example/promo", intakeCard.TS)
	settle(t, h)
	for _, cmd := range []string{
		"seller add acme &lt;!channel&gt;", "seller add " + typed, "case &lt;!channel&gt;", "case " + typed,
		"&lt;!channel&gt; hello", "ask " + typed, "ask acme order &lt;@U999&gt; hello", "stats &lt;#C1&gt;",
		"refund acme " + order + " &lt;!channel&gt; late_delivery", "refund acme " + order + " 39,90 &lt;!here&gt;",
		"return acme " + order + " &lt;!channel&gt;", "seller set acme lang &lt;!channel&gt;", "seller set acme oncall &lt;!channel&gt;",
		"open", "breaches", "claims", "case " + order,
	} {
		m := slash(t, h, lea, csChan, cmd)
		answer(m.Text)
		b, _ := json.Marshal(m.Blocks)
		answers = append(answers, mrkdwnOf("", b)...)
	}
	// A day later: reminders, the deadline, the escalation.
	for i := 1; i <= 26; i++ {
		h.Clock.Set(monday.Add(time.Duration(i) * time.Hour))
		settle(t, h)
	}

	checked := 0
	for _, ch := range []string{csChan, acmeChan, triage, escal} {
		for _, m := range h.Fake.Messages(ch) {
			if m.BotID == "" {
				continue
			}
			for _, s := range mrkdwnOf(m.Text, m.Blocks) {
				checked++
				if rest := ownMarkup.ReplaceAllString(s, ""); anyMarkup.MatchString(rest) {
					t.Errorf("%s %s: markup the bot did not make: %q", ch, m.TS, s)
				}
			}
		}
	}
	checkedReply := false
	for _, e := range h.Fake.Ephemerals() {
		answers = append(answers, mrkdwnOf(e.Text, e.Blocks)...)
		checkedReply = checkedReply || e.User == marie
	}
	if !checkedReply {
		t.Error("the reply that breaks a rule got no private notice")
	}
	for _, r := range h.Fake.Responses() {
		answers = append(answers, mrkdwnOf(r.Text, r.Blocks)...)
	}
	for _, s := range answers {
		checked++
		if rest := ownMarkup.ReplaceAllString(s, ""); anyMarkup.MatchString(rest) {
			t.Errorf("a private answer carries markup the bot did not make: %q", s)
		}
	}
	if checked < 40 || !strings.Contains(strings.Join(answers, "\n"), "&lt;!channel&gt;") {
		t.Errorf("only %d texts checked, or none echoed what was typed: %q", checked, answers)
	}
}
