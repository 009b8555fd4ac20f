package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// The cast of the asking tests.
const (
	lea      = "U0ADMIN"  // admin
	karim    = "U0AGENT"  // customer-service agent
	marie    = "U0SELLER" // seller staff, member of #acme
	otto     = "U0OTTO"   // seller staff, member of #acme
	sam      = "U0SAM"    // someone else
	csChan   = "C0CS"
	acmeChan = "C0ACME"
	triage   = "C0TRIAGE"
	escal    = "C0ESC"
	order    = "171-5550123-7654321"
)

var ctx = context.Background()

// newDesk starts the bot with a routed seller, acme, whose channel the bot
// joined when the admin added the route.
func newDesk(t *testing.T, socket bool) *harness {
	t.Helper()
	h := newHarness(t, socket, func(c *Config) {
		c.Admins = []string{lea}
		c.TriageChannel, c.EscalationChannel = triage, escal
		c.Lang = "en"
	})
	f := h.Fake
	f.AddUser(lea, "lea", "Léa Martin", false)
	f.AddUser(karim, "karim", "Karim B.", false)
	f.AddUser(marie, "marie", "Marie Dupont", false)
	f.AddUser(otto, "otto", "Otto K.", false)
	f.AddUser(sam, "sam", "Sam", false)
	f.AddChannel(csChan, "cs-team", false, lea, karim, sam, f.BotUserID())
	f.AddChannel(acmeChan, "acme-support", false, marie, otto)
	f.AddChannel(triage, "sfp-triage", false, lea, f.BotUserID())
	f.AddChannel(escal, "sfp-escalations", false, lea, f.BotUserID())
	msg := slash(t, h, lea, csChan, "seller add acme <#C0ACME|acme-support>")
	if !strings.Contains(msg.Text, "acme") {
		t.Fatalf("seller add: %q", msg.Text)
	}
	return h
}

func slash(t *testing.T, h *harness, user, channel, text string) *slack.Msg {
	t.Helper()
	msg, err := h.Slash(ctx, user, channel, text)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	return msg
}

func settle(t *testing.T, h *harness) {
	t.Helper()
	if err := h.Settle(ctx); err != nil {
		t.Fatal(err)
	}
}

// topLevel returns the channel's top-level messages by the bot, but for
// the weekly reports.
func topLevel(h *harness, channel string) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range h.Fake.Messages(channel) {
		// The weekly report, a file with its comment, is not one of
		// the messages these tests follow.
		if !m.IsReply() && m.BotID != "" && len(m.Files) == 0 {
			out = append(out, m)
		}
	}
	return out
}

func lastCard(t *testing.T, h *harness, channel string) fakeslack.Message {
	t.Helper()
	msgs := topLevel(h, channel)
	if len(msgs) == 0 {
		t.Fatalf("no message of the bot in %s", channel)
	}
	return msgs[len(msgs)-1]
}

// replies returns the rendered replies in a thread.
func replies(h *harness, channel, ts string) []string {
	tr := &transcript{users: map[string]string{lea: "lea", karim: "karim", marie: "marie", otto: "otto"}, channels: map[string]string{}, loc: h.Main.Config.Location}
	var out []string
	for _, m := range h.Fake.Thread(channel, ts) {
		if m.TS != ts {
			out = append(out, strings.Join(tr.blocks(m.Blocks, m.Text), "\n"))
		}
	}
	return out
}

func rendered(h *harness, m fakeslack.Message) string {
	tr := &transcript{users: map[string]string{lea: "lea", karim: "karim", marie: "marie", otto: "otto"}, channels: map[string]string{csChan: "cs-team", acmeChan: "acme-support"}, loc: h.Main.Config.Location}
	return strings.Join(tr.blocks(m.Blocks, m.Text), "\n")
}

func loadCase(t *testing.T, h *harness, id string) *sfp.Case {
	t.Helper()
	var c *sfp.Case
	err := h.Main.Store.View(ctx, func(tx store.Tx) error {
		var err error
		c, err = tx.Case(id)
		return err
	})
	if err != nil {
		t.Fatalf("case %s: %v", id, err)
	}
	return c
}

func openCases(t *testing.T, h *harness) []*sfp.Case {
	t.Helper()
	var cs []*sfp.Case
	h.Main.Store.View(ctx, func(tx store.Tx) error {
		cs, _ = tx.OpenCases("")
		return nil
	})
	return cs
}

func hasAction(m fakeslack.Message, id string) bool {
	return strings.Contains(string(m.Blocks), `"action_id":"`+id+`"`)
}

func TestAskThreeWaysOneResult(t *testing.T) {
	tests := []struct {
		name string
		ask  func(t *testing.T, h *harness) (agentChannel, agentThread string)
	}{
		{"the slash command", func(t *testing.T, h *harness) (string, string) {
			msg := slash(t, h, karim, csChan, "ask acme order "+order+" Is the charger USB-C?")
			if !strings.Contains(msg.Text, "SFP-1001") {
				t.Errorf("private answer %q does not name the case", msg.Text)
			}
			return csChan, lastCard(t, h, csChan).TS
		}},
		{"an @mention", func(t *testing.T, h *harness) (string, string) {
			ts := h.Fake.PostAsUser(csChan, karim, "<@"+h.Fake.BotUserID()+"> ask acme order "+order+" Is the charger USB-C?", "")
			settle(t, h)
			return csChan, ts
		}},
		{"an @mention with no question inside a thread asks about the thread's first message", func(t *testing.T, h *harness) (string, string) {
			root := h.Fake.PostAsUser(csChan, sam, "Is the charger USB-C?", "")
			h.Fake.PostAsUser(csChan, karim, "<@"+h.Fake.BotUserID()+"> ask acme order "+order, root)
			settle(t, h)
			return csChan, root
		}},
		{"the message shortcut", func(t *testing.T, h *harness) (string, string) {
			root := h.Fake.PostAsUser(csChan, sam, "Is the charger USB-C?", "")
			if _, err := h.Shortcut(ctx, csChan, root, karim, "send_to_seller"); err != nil {
				t.Fatal(err)
			}
			views := h.Fake.OpenViews(karim)
			if len(views) != 1 || views[0].CallbackID != "send_to_seller" {
				t.Fatalf("open views = %+v", views)
			}
			if strings.Contains(views[0].PrivateMetadata, "USB-C") {
				t.Errorf("the message was copied into the modal: %s", views[0].PrivateMetadata)
			}
			ack, err := h.Submit(ctx, views[0].ID, karim, map[string]map[string]slack.BlockAction{
				"seller":   {"seller": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "acme"}}},
				"order_id": {"order_id": {Type: "plain_text_input", Value: order}},
			})
			if err != nil || (len(ack) > 0 && strings.Contains(string(ack), "errors")) {
				t.Fatalf("submit: %s, %v", ack, err)
			}
			settle(t, h)
			return csChan, root
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newDesk(t, false)
			agentChannel, agentThread := tc.ask(t, h)
			open := openCases(t, h)
			if len(open) != 1 {
				t.Fatalf("%d open cases, want 1", len(open))
			}
			c := open[0]
			if c.Kind != sfp.KindCSContact || c.Seller != "acme" || c.OrderID != order || !strings.Contains(c.Body, "Is the charger USB-C?") {
				t.Errorf("case = %+v", c)
			}
			if c.Asker == nil || c.Asker.UserID != karim {
				t.Errorf("asker = %+v", c.Asker)
			}
			card := lastCard(t, h, acmeChan)
			text := rendered(h, card)
			for _, want := range []string{"SFP-1001", "acme", order, "@karim", "Is the charger USB-C?", "Answer by", "Open", "//"} {
				if !strings.Contains(text, want) {
					t.Errorf("card lacks %q:\n%s", want, text)
				}
			}
			if !hasAction(card, "case_take") || !hasAction(card, "case_answered") {
				t.Errorf("card lacks its buttons: %s", card.Blocks)
			}
			if card.Metadata == nil || card.Metadata.EventType != "sfpdesk_case" || card.Metadata.EventPayload["case_id"] != "SFP-1001" {
				t.Errorf("card metadata = %+v", card.Metadata)
			}
			// The agent's side: a confirmation that is (or is in) the thread
			// where the answer will come back.
			if got := loadCase(t, h, "SFP-1001").CSThread; got.Channel != agentChannel || got.TS != agentThread {
				t.Errorf("CS-side thread = %+v, want %s/%s", got, agentChannel, agentThread)
			}
		})
	}
}

func TestAMentionArrivingTwiceMakesOneCase(t *testing.T) {
	for _, socket := range []bool{false, true} {
		h := newDesk(t, socket)
		// The fake delivers both app_mention and message for a mention.
		h.Fake.PostAsUser(csChan, karim, "<@"+h.Fake.BotUserID()+"> ask acme Is it waterproof?", "")
		settle(t, h)
		if n := len(h.Fake.Deliveries()); n < 2 {
			t.Fatalf("only %d deliveries: the test needs both events", n)
		}
		if n := len(openCases(t, h)); n != 1 {
			t.Errorf("socket=%v: %d cases, want 1", socket, n)
		}
		if n := len(topLevel(h, acmeChan)); n != 1 {
			t.Errorf("socket=%v: %d cards, want 1", socket, n)
		}
	}
}

func TestRelay(t *testing.T) {
	h := newDesk(t, false)
	h.Fake.AddUser("U0ZAP", "zapbot", "Zap Bot", true)
	slash(t, h, karim, csChan, "ask acme order "+order+" Is the charger USB-C?")
	card := lastCard(t, h, acmeChan).TS
	agentThread := lastCard(t, h, csChan).TS

	t.Run("an internal note, a bot's message and a join stay in the channel", func(t *testing.T) {
		h.Fake.PostAsUser(acmeChan, marie, "// asking the warehouse", card)
		h.Fake.PostAsUser(acmeChan, "U0ZAP", "Automated: order shipped", card)
		if err := h.Event(ctx, map[string]any{"type": "message", "subtype": "channel_join", "channel": acmeChan, "user": sam, "text": "<@U0SAM> has joined the channel", "ts": "1799999990.000001", "thread_ts": card}); err != nil {
			t.Fatal(err)
		}
		settle(t, h)
		if got := replies(h, csChan, agentThread); len(got) != 0 {
			t.Fatalf("relayed: %q", got)
		}
		if c := loadCase(t, h, "SFP-1001"); c.State != sfp.StateOpen {
			t.Fatalf("state = %s, want open", c.State)
		}
	})
	t.Run("the first reply answers the case and reaches the agent", func(t *testing.T) {
		h.Clock.Advance(42 * time.Minute)
		h.Fake.PostAsUser(acmeChan, marie, "Yes, USB-C 65 W.", card)
		settle(t, h)
		got := replies(h, csChan, agentThread)
		if len(got) != 1 || !strings.Contains(got[0], "@karim") || !strings.Contains(got[0], "acme") || !strings.Contains(got[0], "@marie") || !strings.Contains(got[0], "Yes, USB-C 65 W.") {
			t.Fatalf("agent's thread = %q", got)
		}
		c := loadCase(t, h, "SFP-1001")
		if c.State != sfp.StateAnswered || c.AnsweredBy != marie || c.AnsweredAt == nil || c.AnsweredAt.Sub(c.ReceivedAt) != 42*time.Minute {
			t.Fatalf("case = state %s by %s at %v", c.State, c.AnsweredBy, c.AnsweredAt)
		}
		if text := rendered(h, lastCard(t, h, acmeChan)); !strings.Contains(text, "Answered") || !strings.Contains(text, "@marie") {
			t.Errorf("card not updated:\n%s", text)
		}
	})
	t.Run("an edit is not a new answer", func(t *testing.T) {
		err := h.Event(ctx, map[string]any{
			"type": "message", "subtype": "message_changed", "channel": acmeChan, "ts": "1799999999.000001",
			"message":          map[string]any{"type": "message", "user": marie, "text": "Yes, USB-C 100 W.", "ts": "1799999998.000001", "thread_ts": card},
			"previous_message": map[string]any{"type": "message", "user": marie, "text": "Yes, USB-C 65 W.", "ts": "1799999998.000001"},
		})
		if err != nil {
			t.Fatal(err)
		}
		settle(t, h)
		if got := replies(h, csChan, agentThread); len(got) != 1 {
			t.Fatalf("agent's thread = %q", got)
		}
	})
	t.Run("a photo reply is relayed with its link", func(t *testing.T) {
		err := h.Event(ctx, map[string]any{
			"type": "message", "subtype": "file_share", "channel": acmeChan, "user": otto, "text": "", "ts": "1799999999.000100", "thread_ts": card,
			"files": []map[string]any{{"id": "F0PHOTO", "name": "label.jpg", "permalink": "https://acme.example.slack.com/files/U0OTTO/F0PHOTO/label.jpg"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		settle(t, h)
		got := replies(h, csChan, agentThread)
		if len(got) != 2 || !strings.Contains(got[1], "@otto") || !strings.Contains(got[1], "file 1") {
			t.Fatalf("agent's thread = %q", got)
		}
		if m := h.Fake.Thread(csChan, agentThread); !strings.Contains(string(m[len(m)-1].Blocks), "F0PHOTO/label.jpg") {
			t.Errorf("link missing: %s", m[len(m)-1].Blocks)
		}
	})
	t.Run("the agent's reply reaches the card's thread", func(t *testing.T) {
		h.Fake.PostAsUser(csChan, karim, "Thanks! And the cable length?", agentThread)
		settle(t, h)
		got := replies(h, acmeChan, card)
		last := got[len(got)-1]
		if !strings.Contains(last, "@karim") || !strings.Contains(last, "customer service") || !strings.Contains(last, "cable length") {
			t.Fatalf("card thread = %q", got)
		}
	})
}

func TestMarkAnsweredTellsTheAgent(t *testing.T) {
	h := newDesk(t, false)
	slash(t, h, karim, csChan, "ask acme Is it waterproof?")
	card := lastCard(t, h, acmeChan).TS
	if _, err := h.Click(ctx, acmeChan, card, marie, "case_answered"); err != nil {
		t.Fatal(err)
	}
	settle(t, h)
	got := replies(h, csChan, lastCard(t, h, csChan).TS)
	if len(got) != 1 || !strings.Contains(got[0], "outside Slack") || !strings.Contains(got[0], "@marie") {
		t.Fatalf("agent's thread = %q", got)
	}
	c := loadCase(t, h, "SFP-1001")
	if c.State != sfp.StateAnswered || c.AnsweredBy != marie {
		t.Fatalf("case = %s by %s", c.State, c.AnsweredBy)
	}
	card2 := lastCard(t, h, acmeChan)
	if !hasAction(card2, "case_reopen") || hasAction(card2, "case_answered") {
		t.Errorf("answered card's buttons: %s", card2.Blocks)
	}
	t.Run("reopen puts it back with a fresh deadline", func(t *testing.T) {
		h.Clock.Advance(3 * time.Hour)
		if _, err := h.Click(ctx, acmeChan, card, otto, "case_reopen"); err != nil {
			t.Fatal(err)
		}
		settle(t, h)
		c := loadCase(t, h, "SFP-1001")
		if c.State != sfp.StateOpen || c.DueAt == nil || !c.DueAt.Equal(h.Clock.Now().Add(24*time.Hour)) {
			t.Fatalf("reopened: %s due %v", c.State, c.DueAt)
		}
		if !hasAction(lastCard(t, h, acmeChan), "case_take") {
			t.Errorf("reopened card lacks its buttons")
		}
	})
}

func TestTakeAndTakeOver(t *testing.T) {
	h := newDesk(t, false)
	slash(t, h, karim, csChan, "ask acme Is it waterproof?")
	card := lastCard(t, h, acmeChan).TS
	if _, err := h.Click(ctx, acmeChan, card, marie, "case_take"); err != nil {
		t.Fatal(err)
	}
	settle(t, h)
	if c := loadCase(t, h, "SFP-1001"); c.TakenBy != marie {
		t.Fatalf("taken by %q", c.TakenBy)
	}
	updated := lastCard(t, h, acmeChan)
	if text := rendered(h, updated); !strings.Contains(text, "taken by @marie") {
		t.Errorf("card:\n%s", text)
	}
	// Slack asks the confirmation the button now carries before the click
	// reaches the bot: a click on the updated card is a confirmed take-over.
	if !strings.Contains(string(updated.Blocks), `"confirm"`) {
		t.Fatalf("the take button carries no confirmation once taken: %s", updated.Blocks)
	}
	t.Run("a click from a card that was not updated yet asks first", func(t *testing.T) {
		ic, err := h.Fake.ButtonClick(acmeChan, card, otto, "case_take")
		if err != nil {
			t.Fatal(err)
		}
		ic.Message.Blocks = slack.Blocks{} // as the card looked before marie took it
		if _, err := h.interact(ctx, ic); err != nil {
			t.Fatal(err)
		}
		settle(t, h) // the question is posted after the click's acknowledgement
		if c := loadCase(t, h, "SFP-1001"); c.TakenBy != marie {
			t.Fatalf("taken over without asking: %q", c.TakenBy)
		}
		eph := h.Fake.Ephemerals()
		last := eph[len(eph)-1]
		if last.User != otto || !strings.Contains(string(last.Blocks), "take_over") {
			t.Fatalf("no private question: %+v", last)
		}
	})
	t.Run("confirmed, it changes hands", func(t *testing.T) {
		if _, err := h.Click(ctx, acmeChan, card, otto, "case_take"); err != nil {
			t.Fatal(err)
		}
		settle(t, h)
		if c := loadCase(t, h, "SFP-1001"); c.TakenBy != otto {
			t.Fatalf("taken by %q, want otto", c.TakenBy)
		}
	})
}
