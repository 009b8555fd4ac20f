package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestSellerCommands(t *testing.T) {
	h := newDesk(t, false)
	h.Fake.AddChannel("C0PRIV", "globex-private", true, marie)
	tests := []struct {
		name string
		user string
		text string
		want []string
	}{
		{"only admins configure", sam, "seller add globex C0PRIV", []string{"Only sfpdesk admins"}},
		{"a private channel the bot cannot join gets an invitation hint", lea, "seller add globex <#C0PRIV|globex-private> amazon.de", []string{"globex", "amazon.de", "/invite @sfpdesk"}},
		{"a typed channel name no one has gets a hint", lea, "seller add globex #globex", []string{"no channel named `#globex`", "`/invite @sfpdesk`", "typing `#`", "Usage: `/sfp seller add <seller> <#channel> [<marketplace>]`"}},
		{"a hash alone gets a hint", lea, "seller add globex #", []string{"channel name", "type `#`"}},
		{"a bad marketplace is named", lea, "seller add globex C0PRIV amazon.xx", []string{"`amazon.xx` is not a marketplace", "amazon.co.uk"}},
		{"a missing channel is named", lea, "seller add globex", []string{"`channel` is missing", "Example:"}},
		{"time zone", lea, "seller set acme timezone Europe/Berlin", []string{"timezone is now Europe/Berlin"}},
		{"a bad time zone", lea, "seller set acme timezone Mars/Olympus", []string{"not a time zone"}},
		{"language", lea, "seller set acme lang fr", []string{"lang is now fr"}},
		{"a language the bot does not speak", lea, "seller set acme lang de", []string{"`de` is not a language"}},
		{"on-call group", lea, "seller set acme oncall <!subteam^S0ONCALL|@acme-oncall>", []string{"oncall is now"}},
		{"an on-call group typed as text", lea, "seller set acme oncall @acme-oncall", []string{"not a user group"}},
		{"settings of an unknown seller", lea, "seller set initech lang en", []string{"don't know the seller `initech`"}},
		{"list", lea, "seller list", []string{"acme", "<#C0ACME>", "all marketplaces", "Europe/Berlin", "fr", "globex", "amazon.de"}},
		{"an unknown word", karim, "frobnicate", []string{"I don't know `frobnicate`"}},
		{"an order id of the wrong shape", karim, "ask acme order 12-34-56 Where is it?", []string{"`12-34-56` is not an Amazon order id"}},
		{"a question is needed", karim, "ask acme", []string{"question is missing", "Usage: `/sfp ask <seller> [order <id>] <question>`"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := slash(t, h, tc.user, csChan, tc.text)
			if msg.ResponseType != slack.ResponseTypeEphemeral {
				t.Errorf("answer is not private: %q", msg.ResponseType)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg.Text, w) {
					t.Errorf("answer lacks %q:\n%s", w, msg.Text)
				}
			}
		})
	}
	if n := len(openCases(t, h)); n != 0 {
		t.Errorf("wrong commands created %d case(s)", n)
	}
	if h.Fake.Calls("conversations.join") < 2 {
		t.Errorf("the bot never tried to join the routed channels")
	}
	t.Run("remove drops every route; open cases stay where they are", func(t *testing.T) {
		slash(t, h, karim, csChan, "ask acme Is it waterproof?")
		msg := slash(t, h, lea, csChan, "seller remove acme")
		if !strings.Contains(msg.Text, "no route any more") {
			t.Fatalf("%q", msg.Text)
		}
		if c := loadCase(t, h, "SFP-1001"); c.Channel != acmeChan {
			t.Errorf("open case moved to %s", c.Channel)
		}
		slash(t, h, karim, csChan, "ask acme Does it float?")
		if c := loadCase(t, h, "SFP-1002"); !c.Triage || c.Channel != triage {
			t.Errorf("a new case of a removed seller went to %s (triage %v)", c.Channel, c.Triage)
		}
	})
}

func TestTriage(t *testing.T) {
	h := newDesk(t, false)
	h.Fake.AddChannel("C0GLOBEX", "globex-support", false, otto)
	msg := slash(t, h, karim, csChan, "ask globex Is the blue one back in stock?")
	if !strings.Contains(msg.Text, "triage") {
		t.Errorf("the agent is not told: %q", msg.Text)
	}
	card := lastCard(t, h, triage)
	if !hasAction(card, "case_route") {
		t.Fatalf("triage card lacks Route to seller: %s", card.Blocks)
	}

	t.Run("routing from the card needs a seller with a route", func(t *testing.T) {
		if _, err := h.Click(ctx, triage, card.TS, lea, "case_route"); err != nil {
			t.Fatal(err)
		}
		views := h.Fake.OpenViews(lea)
		if len(views) != 1 || views[0].CallbackID != "case_route" {
			t.Fatalf("views = %+v", views)
		}
		ack, err := h.Submit(ctx, views[0].ID, lea, map[string]map[string]slack.BlockAction{
			"seller": {"seller": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "globex"}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var resp struct {
			Action string            `json:"response_action"`
			Errors map[string]string `json:"errors"`
		}
		json.Unmarshal(ack, &resp)
		if resp.Action != "errors" || !strings.Contains(resp.Errors["seller"], "globex") {
			t.Fatalf("ack = %s", ack)
		}
	})
	t.Run("adding the seller's route offers to move its waiting cases", func(t *testing.T) {
		msg := slash(t, h, lea, csChan, "seller add globex C0GLOBEX")
		if !strings.Contains(string(blocksJSON(msg.Blocks)), "seller_move_triage") {
			t.Fatalf("no offer to move: %s", blocksJSON(msg.Blocks))
		}
	})
	t.Run("the route modal moves the case and its future traffic", func(t *testing.T) {
		if _, err := h.Click(ctx, triage, card.TS, lea, "case_route"); err != nil {
			t.Fatal(err)
		}
		views := h.Fake.OpenViews(lea)
		ack, err := h.Submit(ctx, views[len(views)-1].ID, lea, map[string]map[string]slack.BlockAction{
			"seller": {"seller": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "globex"}}},
		})
		if err != nil || strings.Contains(string(ack), "errors") {
			t.Fatalf("ack = %s, %v", ack, err)
		}
		settle(t, h)
		c := loadCase(t, h, "SFP-1001")
		if c.Triage || c.Channel != "C0GLOBEX" || c.Seller != "globex" {
			t.Fatalf("case = channel %s triage %v seller %s", c.Channel, c.Triage, c.Seller)
		}
		newCard := lastCard(t, h, "C0GLOBEX")
		if hasAction(newCard, "case_route") || !hasAction(newCard, "case_take") {
			t.Errorf("new card's buttons: %s", newCard.Blocks)
		}
		if old, _ := h.Fake.Message(triage, card.TS); hasAction(old, "case_take") {
			t.Errorf("the triage card still has its buttons")
		}
		// A reply under the new card reaches the agent.
		h.Fake.PostAsUser("C0GLOBEX", otto, "Back on 12 December.", newCard.TS)
		settle(t, h)
		if got := replies(h, csChan, lastCard(t, h, csChan).TS); len(got) != 1 || !strings.Contains(got[0], "12 December") {
			t.Fatalf("agent's thread = %q", got)
		}
	})
}

func TestMoveTriageButton(t *testing.T) {
	h := newDesk(t, false)
	h.Fake.AddChannel("C0GLOBEX", "globex-support", false, otto)
	slash(t, h, karim, csChan, "ask globex One?")
	slash(t, h, karim, csChan, "ask globex Two?")
	msg := slash(t, h, lea, csChan, "seller add globex C0GLOBEX")
	// The offer is a private message: click it as Slack would.
	var ic slack.InteractionCallback
	ic.Type = slack.InteractionTypeBlockActions
	ic.User.ID = lea
	ic.Channel.ID = csChan
	ic.ActionCallback.BlockActions = []*slack.BlockAction{{ActionID: "seller_move_triage", Value: "globex", BlockID: "move_triage"}}
	if !strings.Contains(string(blocksJSON(msg.Blocks)), "2 open case") {
		t.Fatalf("offer: %s", blocksJSON(msg.Blocks))
	}
	if _, err := h.interact(ctx, ic); err != nil {
		t.Fatal(err)
	}
	settle(t, h)
	for _, id := range []string{"SFP-1001", "SFP-1002"} {
		if c := loadCase(t, h, id); c.Channel != "C0GLOBEX" || c.Triage {
			t.Errorf("%s still in %s", id, c.Channel)
		}
	}
	if n := len(topLevel(h, "C0GLOBEX")); n != 2 {
		t.Errorf("%d cards in #globex-support, want 2", n)
	}
}

func TestLookUps(t *testing.T) {
	h := newDesk(t, false)
	slash(t, h, karim, csChan, "ask acme order "+order+" First?")
	h.Clock.Advance(time1h)
	slash(t, h, sam, csChan, "ask acme Second?")
	tests := []struct {
		name, user, text string
		want, not        []string
	}{
		{"an admin sees a case", lea, "case sfp-1001", []string{"SFP-1001", "acme", "First?", "created"}, nil},
		{"a member of the seller's channel sees it", marie, "case SFP-1001", []string{"SFP-1001"}, nil},
		{"the agent who asked sees it", karim, "case SFP-1001", []string{"SFP-1001"}, nil},
		{"anyone else is told it does not exist", sam, "case SFP-1001", []string{"No case `SFP-1001`"}, []string{"First?"}},
		{"an unknown case", lea, "case SFP-9999", []string{"No case `SFP-9999`"}, nil},
		{"every case of an order", lea, "case " + order, []string{"SFP-1001"}, []string{"SFP-1002"}},
		{"open cases, soonest deadline first", marie, "open", []string{"2 open case"}, nil},
		{"open cases one may see", sam, "open acme", []string{"1 open case", "SFP-1002"}, []string{"SFP-1001"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := answerText(h, slash(t, h, tc.user, csChan, tc.text))
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("lacks %q:\n%s", w, text)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(text, w) {
					t.Errorf("shows %q:\n%s", w, text)
				}
			}
		})
	}
	text := answerText(h, slash(t, h, lea, csChan, "open"))
	if i, j := strings.Index(text, "SFP-1001"), strings.Index(text, "SFP-1002"); i < 0 || j < 0 || i > j {
		t.Errorf("not soonest first:\n%s", text)
	}
}

func TestAgentInAChannelTheBotIsNotIn(t *testing.T) {
	h := newDesk(t, false)
	h.Fake.AddChannel("C0NOBOT", "cs-private", true, karim)
	msg := slash(t, h, karim, "C0NOBOT", "ask acme Is it waterproof?")
	if !strings.Contains(msg.Text, "SFP-1001") {
		t.Fatalf("%q", msg.Text)
	}
	settle(t, h)
	c := loadCase(t, h, "SFP-1001")
	if !strings.HasPrefix(c.CSThread.Channel, "D") || c.CSThread.TS == "" {
		t.Fatalf("CS-side thread = %+v, want a direct message", c.CSThread)
	}
	var told bool
	for _, r := range h.Fake.Responses() {
		if strings.Contains(r.Text, "direct messages") {
			told = true
		}
	}
	if !told {
		t.Errorf("the agent was not told through response_url: %+v", h.Fake.Responses())
	}
	h.Fake.PostAsUser(acmeChan, marie, "Yes, IP68.", lastCard(t, h, acmeChan).TS)
	settle(t, h)
	if got := replies(h, c.CSThread.Channel, c.CSThread.TS); len(got) != 1 || !strings.Contains(got[0], "IP68") {
		t.Fatalf("DM thread = %q", got)
	}
	if n := len(topLevel(h, triage)); n != 0 {
		t.Errorf("triage was told about a failure that was handled")
	}
}

func TestUntrustedTextIsShownAsTyped(t *testing.T) {
	h := newDesk(t, false)
	// Slack escapes &, < and > in what it sends; the agent typed them.
	slash(t, h, karim, csChan, "ask acme Buyer wrote: &lt;!channel&gt; see &lt;https://evil.example|amazon.fr&gt; &amp; call me")
	card := lastCard(t, h, acmeChan)
	raw := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(card.Blocks))
	if strings.Contains(raw, "<!channel>") || strings.Contains(raw, "<https://evil.example|amazon.fr>") {
		t.Fatalf("untrusted markup reached Slack live: %s", raw)
	}
	if !strings.Contains(raw, "&lt;!channel&gt;") || !strings.Contains(raw, "&amp; call me") {
		t.Fatalf("escaped text missing: %s", raw)
	}
	if c := loadCase(t, h, "SFP-1001"); !strings.Contains(c.Body, "<!channel>") || !strings.Contains(c.Body, "& call me") {
		t.Errorf("stored text is not the raw text: %q", c.Body)
	}
}

func TestALongQuestionIsCutOnTheCardAndWholeInTheThread(t *testing.T) {
	h := newDesk(t, false)
	long := strings.Repeat("Très longue question — ", 400) + "FIN"
	slash(t, h, karim, csChan, "ask acme "+long)
	card := lastCard(t, h, acmeChan)
	if strings.Contains(string(card.Blocks), "FIN") {
		t.Errorf("the card shows the whole question")
	}
	all := strings.Join(replies(h, acmeChan, card.TS), "\n")
	if !strings.Contains(all, "FIN") {
		t.Fatalf("the full text is not in the thread")
	}
}

func TestTheSellersLanguageInItsChannel(t *testing.T) {
	h := newDesk(t, false)
	slash(t, h, lea, csChan, "seller set acme lang fr")
	slash(t, h, karim, csChan, "ask acme Is it waterproof?")
	text := rendered(h, lastCard(t, h, acmeChan))
	for _, w := range []string{"Question du service client", "Je prends", "Marquer comme répondu", "Répondre avant"} {
		if !strings.Contains(text, w) {
			t.Errorf("French card lacks %q:\n%s", w, text)
		}
	}
	if agent := rendered(h, lastCard(t, h, csChan)); !strings.Contains(agent, "sent to") {
		t.Errorf("the agent's confirmation is not in the agent's language:\n%s", agent)
	}
}

const time1h = time.Hour

// answerText renders a private answer as the person reads it.
func answerText(h *harness, msg *slack.Msg) string {
	tr := &transcript{users: map[string]string{}, channels: map[string]string{}, loc: h.Main.Config.Location}
	return strings.Join(tr.blocks(blocksJSON(msg.Blocks), msg.Text), "\n")
}

func TestSellerPickerLoadsOptionsPastAHundredSellers(t *testing.T) {
	h := newDesk(t, false)
	for i := range 101 {
		slash(t, h, lea, csChan, fmt.Sprintf("seller add shop%03d C0ACME", i))
	}
	root := h.Fake.PostAsUser(csChan, sam, "Is the charger USB-C?", "")
	if _, err := h.Shortcut(ctx, csChan, root, karim, "send_to_seller"); err != nil {
		t.Fatal(err)
	}
	views := h.Fake.OpenViews(karim)
	if len(views) != 1 || !strings.Contains(string(views[0].JSON), `"external_select"`) {
		t.Fatalf("the picker is not an external select: %+v", views)
	}
	var ic slack.InteractionCallback
	ic.Type = slack.InteractionTypeBlockSuggestion
	ic.User.ID = karim
	ic.ActionID, ic.BlockID, ic.Value = "seller", "seller", "shop09"
	ic.View.ID = views[0].ID
	ack, err := h.interact(ctx, ic)
	if err != nil {
		t.Fatal(err)
	}
	var opts struct {
		Options []struct{ Value string } `json:"options"`
	}
	json.Unmarshal(ack, &opts)
	if len(opts.Options) != 10 || opts.Options[0].Value != "shop090" {
		t.Fatalf("options for shop09 = %s", ack)
	}
}
