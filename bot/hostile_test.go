package bot

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// hostile is what a buyer, an agent or an integration may type in any
// field: a mention of everyone, of someone, a channel, a disguised link and
// a bare ampersand.
const hostile = "Does it fit <!channel> <@U999> <#C1> <https://evil.example|amazon.fr> & more?"

// botMade is Slack markup the bot writes itself: mentions of the users and
// channels the test gives it, its date tags and the permalink it is given.
var botMade = regexp.MustCompile(`<@U0(?:SELLER|AGENT|ADMIN)>|<#C0(?:ACME|CS|TRIAGE)>|<!date\^\d+\^[^|>]*\|[^<>]*>|<!subteam\^S0ONCALL>|<https://slack\.example/archives/[^|<>]*(?:\|[^<>]*)?>`)

// rawMarkup is what must never reach Slack unless the bot made it.
var rawMarkup = regexp.MustCompile(`<[!@#]|<https?:`)

// fillStrings sets every string (and string slice) reachable from v to s,
// allocating pointers on the way: every field a person could have typed.
func fillStrings(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() && v.CanSet() && v.Type().Elem().Kind() == reflect.Struct && v.Type().Elem() != reflect.TypeOf(time.Time{}) {
			v.Set(reflect.New(v.Type().Elem()))
		}
		if !v.IsNil() {
			fillStrings(v.Elem(), s)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillStrings(v.Field(i), s)
			}
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(s)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String && v.CanSet() {
			v.Set(reflect.ValueOf([]string{s, s}).Convert(v.Type()))
		}
		for i := range v.Len() {
			fillStrings(v.Index(i), s)
		}
	}
}

// hostileCase is a case of kind k with hostile text in every field but
// those Slack or the bot itself fill in: ids, channels and users, states.
func hostileCase(k sfp.Kind) *sfp.Case {
	c := &sfp.Case{Answers: []sfp.Answer{{}}, Drafts: []sfp.Draft{{}}, Held: []sfp.HeldReply{{Findings: []sfp.Finding{{}}}}}
	fillStrings(reflect.ValueOf(c), hostile)
	due := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	c.ID, c.Kind, c.State, c.Marketplace, c.Channel, c.Source = "SFP-1001", k, sfp.StateOpen, "amazon.fr", "C0ACME", sfp.SourceIntake
	c.DueAt, c.ClaimBy, c.ReceivedAt, c.CreatedAt = &due, &due, due.Add(-time.Hour), due.Add(-time.Hour)
	c.TakenBy, c.AnsweredBy = "U0SELLER", "U0SELLER"
	c.Asker.UserID, c.Asker.Channel = "U0AGENT", "C0CS"
	c.Card, c.CSThread = sfp.MessageRef{Channel: "C0ACME", TS: "1.1"}, sfp.MessageRef{Channel: "C0CS", TS: "1.2"}
	c.Refund.Reason, c.Refund.RefundedBy, c.Refund.Amount = "late_delivery", "amazon_cs", sfp.Money{Minor: 3990, Currency: "EUR"}
	c.Return.ReceivedAt = due.Add(-2 * time.Hour)
	c.Claim.ID, c.Claim.CaseID, c.Claim.Type, c.Claim.Status = "CLM-1001", c.ID, sfp.ClaimTypeReimbursement, string(sfp.ClaimFiled)
	c.Claim.Marketplace, c.Claim.Amount, c.Claim.Deadline = "amazon.fr", c.Refund.Amount, &due
	c.Claim.Evidence.Reason = "late_delivery"
	for i := range c.Claim.History {
		c.Claim.History[i].Status, c.Claim.History[i].By = string(sfp.ClaimFiled), "U0SELLER"
	}
	for i := range c.Events {
		c.Events[i].By = "U0SELLER"
	}
	for i := range c.Answers {
		c.Answers[i].By = "U0SELLER"
	}
	for i := range c.Drafts {
		c.Drafts[i].ID, c.Drafts[i].State = "D1", sfp.DraftReady
	}
	for i := range c.Held {
		c.Held[i].ID, c.Held[i].By = "H1", "U0SELLER"
	}
	return c
}

// checkMessage fails on raw markup the bot did not make, in the fallback
// and in every mrkdwn text of the blocks.
func checkMessage(t *testing.T, name string, m Message) {
	t.Helper()
	check := func(where, s string) {
		t.Helper()
		rest := botMade.ReplaceAllString(s, "")
		if loc := rawMarkup.FindStringIndex(rest); loc != nil {
			t.Errorf("%s: raw markup in the %s: …%s…", name, where, strings.ReplaceAll(rest[max(0, loc[0]-50):min(len(rest), loc[1]+20)], "\n", "⏎"))
		}
	}
	check("fallback", Fallback(m.Text, m.Blocks))
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "mrkdwn" {
				if s, ok := v["text"].(string); ok {
					check("blocks", s)
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
	_ = json.Unmarshal(raw, &tree)
	walk(tree)
}

// Every message the bot can build, from a case typed full of markup: the
// card of each kind, its updates in each state, relays both ways,
// confirmations, claims, reminders, drafts, held replies and look-ups.
func TestNoMessageCarriesMarkupItDidNotMake(t *testing.T) {
	now := time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)
	link := "https://slack.example/archives/C0ACME/p1"
	for _, lang := range []string{LangEN, LangFR} {
		for _, k := range sfp.Kinds {
			for _, state := range []sfp.State{sfp.StateOpen, sfp.StateAnswered, sfp.StateNoResponseNeeded, sfp.StateClosed} {
				c := hostileCase(k)
				c.State = state
				for _, triage := range []bool{false, true} {
					c.Triage = triage
					v := CardView{Lang: lang, Now: now, ReplyHost: hostile}
					name := lang + " " + string(k) + " " + string(state)
					checkMessage(t, name+" card", CaseCard(c, v))
					checkMessage(t, name+" refund card", RefundCard(c, v))
					checkMessage(t, name+" return card", ReturnCard(c, v))
					checkMessage(t, name+" detail", CaseDetail(c, lang, link, time.UTC))
					checkMessage(t, name+" detail without link", CaseDetail(c, lang, "", time.UTC))
					checkMessage(t, name+" routed", RoutedCard(c, lang, "C0ACME", "U0ADMIN"))
				}
			}
		}
		c := hostileCase(sfp.KindRefundNotice)
		for _, first := range []bool{true, false} {
			checkMessage(t, lang+" relay to agent", RelayToAgent(c, lang, "U0SELLER", hostile, []string{hostile}, first))
		}
		checkMessage(t, lang+" relay to seller", RelayToSeller(c, lang, "U0AGENT", hostile, []string{hostile}))
		checkMessage(t, lang+" answered outside", AnsweredOutside(c, lang, "U0SELLER"))
		checkMessage(t, lang+" ask confirmation", AskConfirmation(c, lang, "", nil))
		checkMessage(t, lang+" ask confirmation with link", AskConfirmation(c, lang, link, nil))
		checkMessage(t, lang+" claim", ClaimMessage(c.Claim, c, lang, time.UTC))
		checkMessage(t, lang+" claim moved", ClaimMoved(c.Claim, hostile, "U0SELLER", hostile, lang))
		checkMessage(t, lang+" claim reminder", ClaimReminder(c, "<!subteam^S0ONCALL>", 26*time.Hour, lang))
		checkMessage(t, lang+" claim lapsed", ClaimLapsed(c, lang))
		checkMessage(t, lang+" drafting", DraftingMessage(c.ID, lang))
		for _, toBuyer := range []bool{false, true} {
			for _, partial := range []bool{false, true} {
				d := c.Drafts[0]
				d.Findings = []sfp.Finding{{Rule: hostile, Quote: hostile}}
				checkMessage(t, lang+" draft", DraftMessage(DraftView{Lang: lang, CaseID: c.ID, Draft: d, ToBuyer: toBuyer, Partial: partial}))
			}
		}
		checkMessage(t, lang+" draft failed", DraftFailed(lang, hostile))
		checkMessage(t, lang+" held reply", HeldReply(c.ID, c.Held[0], lang))
		checkMessage(t, lang+" checked reply", CheckedReply(Mention("U0AGENT"), []sfp.Finding{{Rule: hostile, Quote: hostile}}, lang))
		checkMessage(t, lang+" reply sent", ReplySent(lang))
		checkMessage(t, lang+" erased", ErasedMessage(lang))
		checkMessage(t, lang+" take over", Message{Blocks: TakeOverQuestion(c.ID, "U0SELLER", lang)})
		checkMessage(t, lang+" move triage", Message{Blocks: MoveTriagePrompt(hostile, 3, lang)})
	}
}

func TestFallbackEscapesPlainTextAndKeepsTokensWhole(t *testing.T) {
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(hostile, MaxHeaderText)),
		section("*" + Escape(hostile) + "* " + Mention("U0SELLER")),
		slack.NewContextBlock("", plain(hostile, MaxContextText), mrkdwn(Escape(hostile))),
	}
	got := Fallback("raw "+hostile, blocks)
	if strings.Contains(got, "raw") || rawMarkup.MatchString(botMade.ReplaceAllString(got, "")) {
		t.Errorf("fallback %q", got)
	}
	if !strings.Contains(got, "<@U0SELLER>") || !strings.Contains(got, "&lt;!channel&gt;") {
		t.Errorf("fallback %q lost the bot's mention or the escaped text", got)
	}
	long := strings.Repeat("&amp;", MaxFallbackText/5) + "<@U0SELLER>"
	for n := MaxFallbackText - 12; n <= MaxFallbackText+12; n++ {
		s := strings.Repeat("x", n-MaxFallbackText+12) + long
		cut := Fallback("", []slack.Block{section(s)})
		if i := strings.LastIndexByte(cut, '&'); i >= 0 && !strings.Contains(cut[i:], ";") {
			t.Fatalf("cut inside an entity: …%q", cut[max(0, len(cut)-20):])
		}
		if i := strings.LastIndexByte(cut, '<'); i >= 0 && !strings.Contains(cut[i:], ">") {
			t.Fatalf("cut inside a mention: …%q", cut[max(0, len(cut)-20):])
		}
	}
}

func FuzzFallback(f *testing.F) {
	f.Add(hostile, hostile, 10)
	f.Add("&amp;&lt;", "<@U1>", 3)
	f.Fuzz(func(t *testing.T, typed, header string, n int) {
		// What a view builds from typed text: escaped mrkdwn, plain
		// headers. The fallback made of it never carries typed markup.
		blocks := []slack.Block{
			slack.NewHeaderBlock(plain(header, MaxHeaderText)),
			section(Quote(typed, 1+abs(n)%MaxSectionText)),
			contextLine(EscapeCut(typed, 1+abs(n)%MaxContextText)),
		}
		got := Fallback(typed, blocks)
		if rawMarkup.MatchString(got) {
			t.Fatalf("raw markup in %q", got)
		}
		if n := len([]rune(got)); n > MaxFallbackText {
			t.Fatalf("fallback of %d characters", n)
		}
		if !strings.Contains(got, "&") {
			return
		}
		// Every "&" the fallback shows starts an entity it finishes.
		for i := strings.IndexByte(got, '&'); i >= 0; {
			rest := got[i:]
			if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
				t.Fatalf("a bare & at %d of %q", i, got)
			}
			j := strings.IndexByte(got[i+1:], '&')
			if j < 0 {
				break
			}
			i += 1 + j
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
