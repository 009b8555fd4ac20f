package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
	"github.com/sfpdesk/sfpdesk/prompts/openaitest"
	"github.com/sfpdesk/sfpdesk/sfp"
)

const draftIntakeToken = "drafts-intake-token"

// helpdesk is the integration that sent the buyers' questions: it receives
// the seller's answers on its callback URL.
type helpdesk struct {
	*httptest.Server
	mu      sync.Mutex
	answers []map[string]any
}

func newHelpdesk(t *testing.T) *helpdesk {
	hd := &helpdesk{}
	hd.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v map[string]any
		json.NewDecoder(r.Body).Decode(&v)
		hd.mu.Lock()
		hd.answers = append(hd.answers, v)
		hd.mu.Unlock()
	}))
	t.Cleanup(hd.Close)
	return hd
}

func (hd *helpdesk) received() []map[string]any {
	hd.mu.Lock()
	defer hd.mu.Unlock()
	return append([]map[string]any(nil), hd.answers...)
}

// newDraftDesk is newDesk with the intake API, a helpdesk for callbacks,
// a product catalogue and, when model is not nil, a model.
func newDraftDesk(t *testing.T, model *openaitest.Server) *harness {
	t.Helper()
	catalog := filepath.Join(t.TempDir(), "products.csv")
	os.WriteFile(catalog, []byte("sku,asin,title,power,height\nLAMP-ARIA,B0ARIA0001,Lampe Aria,integrated LED 8 W (no bulb socket),45 cm\n"), 0o644)
	h := newHarness(t, false, func(c *Config) {
		c.Admins = []string{lea}
		c.TriageChannel, c.EscalationChannel = triage, escal
		c.Lang = "en"
		c.IntakeToken, c.CallbackAllow = draftIntakeToken, []string{"127.0.0.1"}
		c.Catalog = catalog
		if model != nil {
			c.OpenAIAPIKey, c.OpenAIBaseURL, c.OpenAIModel = "sk-test", model.BaseURL(), "gpt-4o-mini"
		}
	})
	f := h.Fake
	f.AddUser(lea, "lea", "Léa Martin", false)
	f.AddUser(karim, "karim", "Karim B.", false)
	f.AddUser(marie, "marie", "Marie Dupont", false)
	f.AddUser(otto, "otto", "Otto K.", false)
	f.AddChannel(csChan, "cs-team", false, lea, karim, f.BotUserID())
	f.AddChannel(acmeChan, "acme-support", false, marie, otto)
	f.AddChannel(triage, "sfp-triage", false, lea, f.BotUserID())
	f.AddChannel(escal, "sfp-escalations", false, lea, f.BotUserID())
	slash(t, h, lea, csChan, "seller add acme <#C0ACME|acme-support>")
	return h
}

// buyerAsks sends a buyer's question through the intake API, as a helpdesk
// would, and returns the case id and its card.
func buyerAsks(t *testing.T, h *harness, hd *helpdesk, sourceID, question string) (string, fakeslack.Message) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"source_id": sourceID, "kind": "product_question", "seller": "acme", "asin": "B0ARIA0001",
		"customer": map[string]any{"name": "Claire Rousseau", "language": "fr"},
		"subject":  "Question de Claire Rousseau", "body": question, "callback_url": hd.URL + "/sfpdesk",
	})
	req, _ := http.NewRequest(http.MethodPost, h.URL("/api/v1/contacts"), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+draftIntakeToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		CaseID string `json:"case_id"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusAccepted || out.CaseID == "" {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("intake: %s %s", resp.Status, raw)
	}
	settle(t, h)
	return out.CaseID, lastCard(t, h, acmeChan)
}

// waitThread settles the bot (the drafting in the background included)
// and returns the bot's message in the card's thread that passes ok.
func waitThread(t *testing.T, h *harness, card string, ok func(fakeslack.Message) bool) fakeslack.Message {
	t.Helper()
	settle(t, h)
	for _, m := range h.Fake.Thread(acmeChan, card) {
		if m.TS != card && m.BotID != "" && ok(m) {
			return m
		}
	}
	t.Fatalf("nothing in the thread passed: %q", replies(h, acmeChan, card))
	return fakeslack.Message{}
}

// watchThread waits, while the bot is still busy (a model holding its
// answer), for a message of the bot in the card's thread that passes ok.
// It moves the simulated clock when the outbox waits on it.
func watchThread(t *testing.T, h *harness, card string, ok func(fakeslack.Message) bool) fakeslack.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		for _, m := range h.Fake.Thread(acmeChan, card) {
			if m.TS != card && m.BotID != "" && ok(m) {
				return m
			}
		}
		if at, due := h.Main.Outbox.NextWake(); due && at.After(h.Clock.Now()) {
			h.Clock.Set(at)
		}
		// Until the fake sees a change, or a moment for the outbox to
		// take the clock's move into account.
		wctx, wcancel := context.WithTimeout(ctx, 20*time.Millisecond)
		h.Fake.WaitFor(wctx, func() bool { return false })
		wcancel()
	}
	t.Fatalf("nothing in the thread passed: %q", replies(h, acmeChan, card))
	return fakeslack.Message{}
}

func isDraft(m fakeslack.Message) bool { return hasAction(m, "draft_send") }

func waitCallbacks(t *testing.T, h *harness, hd *helpdesk, n int) []map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for len(hd.received()) < n {
		settle(t, h)
		if h.Main.Callbacks.Idle(ctx) && len(hd.received()) < n {
			t.Fatalf("%d callbacks, want %d", len(hd.received()), n)
		}
		wctx, wcancel := context.WithTimeout(ctx, 20*time.Millisecond)
		h.Fake.WaitFor(wctx, func() bool { return false })
		wcancel()
		if ctx.Err() != nil {
			t.Fatalf("%d callbacks, want %d", len(hd.received()), n)
		}
	}
	return hd.received()
}

func TestDraftWithAModelIsSentByAPerson(t *testing.T) {
	model := openaitest.New()
	defer model.Close()
	step, release := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	releaseStream := func() {
		releaseOnce.Do(func() {
			select {
			case <-step:
			default:
				close(step)
			}
			close(release)
		})
	}
	// A failing test must not leave the server's handler waiting.
	defer releaseStream()
	model.Push(openaitest.Reply{
		Chunks: []string{"Bonjour [NAME_1],", " non : la LED est intégrée (8 W),", " on ne peut pas y mettre d'ampoule E27.", " Pour une remise, écrivez-nous à promo@lampes.example.\nCordialement"},
		// A slow model: the test says when the second piece comes, and
		// when the fourth does.
		Before: func(i int) {
			switch i {
			case 1:
				<-step
			case 3:
				<-release
			}
		},
		PromptTokens: 600, CompletionTokens: 48,
	})
	h := newDraftDesk(t, model)
	hd := newHelpdesk(t)
	id, card := buyerAsks(t, h, hd, "msg-1", "Bonjour, est-ce que cette lampe accepte une ampoule E27 ?\nClaire Rousseau")
	if !hasAction(card, "draft_request") {
		t.Fatalf("the card of a question has no draft button: %s", card.Blocks)
	}

	if _, err := h.Click(ctx, acmeChan, card.TS, marie, "draft_request"); err != nil {
		t.Fatal(err)
	}
	// The draft message follows the model's words while it writes, at
	// most every two seconds of the stream: the piece that came in the
	// same second as the one before waits for the next update.
	stillWriting := func(m fakeslack.Message) bool { return strings.Contains(rendered(h, m), "Still writing") }
	watchThread(t, h, card.TS, stillWriting)
	h.Clock.Advance(3 * time.Second)
	close(step)
	writing := watchThread(t, h, card.TS, func(m fakeslack.Message) bool {
		return strings.Contains(rendered(h, m), "Still writing") && strings.Contains(rendered(h, m), "(8 W)")
	})
	if text := rendered(h, writing); !strings.Contains(text, "Bonjour Claire, non : la LED est intégrée (8 W),") || strings.Contains(text, "E27") || hasAction(writing, "draft_send") {
		t.Errorf("draft while writing:\n%s", text)
	}
	releaseStream()
	draft := waitThread(t, h, card.TS, isDraft)
	text := rendered(h, draft)
	for _, want := range []string{"Draft reply", "in French", "Bonjour Claire", "ampoule E27", "E-mail address", "promo@lampes.example", "gpt-4o-mini", "[Send this reply] [Edit and send] [Regenerate]"} {
		if !strings.Contains(text, want) {
			t.Errorf("draft lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(string(draft.Blocks), `"confirm"`) {
		t.Error("sending a draft that breaks a rule to a buyer asks for no confirmation")
	}
	if c := loadCase(t, h, id); c.State != sfp.StateOpen || len(hd.received()) != 0 {
		t.Fatalf("the draft was sent without a person: %s, %d callbacks", c.State, len(hd.received()))
	}

	t.Run("what the model saw", func(t *testing.T) {
		sent := model.Sent()
		for _, secret := range []string{"Claire", "Rousseau"} {
			if strings.Contains(sent, secret) {
				t.Errorf("%q reached the model", secret)
			}
		}
		for _, want := range []string{"integrated LED 8 W", "ampoule E27", "[NAME_1]", "MESSAGE"} {
			if !strings.Contains(sent, want) {
				t.Errorf("the model did not see %q", want)
			}
		}
	})

	t.Run("sending relays the draft and answers the case", func(t *testing.T) {
		h.Clock.Advance(20 * time.Minute)
		if _, err := h.Click(ctx, acmeChan, draft.TS, marie, "draft_send"); err != nil {
			t.Fatal(err)
		}
		got := waitCallbacks(t, h, hd, 1)
		if got[0]["type"] != "answer" || !strings.Contains(got[0]["answer"].(string), "Bonjour Claire, non : la LED est intégrée") {
			t.Errorf("callback = %v", got[0])
		}
		c := loadCase(t, h, id)
		if c.State != sfp.StateAnswered || c.AnsweredBy != marie || len(c.Drafts) != 1 || c.Drafts[0].State != sfp.DraftSent || c.Drafts[0].Model != "gpt-4o-mini" || c.Drafts[0].Template == "" {
			t.Errorf("case = %s by %s, drafts %+v", c.State, c.AnsweredBy, c.Drafts)
		}
		m, _ := h.Fake.Message(acmeChan, draft.TS)
		if text := rendered(h, m); !strings.Contains(text, "Sent by @marie") || hasAction(m, "draft_send") {
			t.Errorf("draft after sending:\n%s", text)
		}
	})
}

func TestDraftEditedInTheModal(t *testing.T) {
	model := openaitest.New()
	defer model.Close()
	model.Push(openaitest.Text("Bonjour [NAME_1], non : la LED est intégrée & ne se change pas <8 W>."))
	h := newDraftDesk(t, model)
	hd := newHelpdesk(t)
	id, card := buyerAsks(t, h, hd, "msg-2", "Bonjour, est-ce que cette lampe accepte une ampoule E27 ?")
	h.Click(ctx, acmeChan, card.TS, marie, "draft_request")
	draft := waitThread(t, h, card.TS, isDraft)

	if _, err := h.Click(ctx, acmeChan, draft.TS, marie, "draft_edit"); err != nil {
		t.Fatal(err)
	}
	views := h.Fake.OpenViews(marie)
	if len(views) != 1 || views[0].CallbackID != "draft_edit" {
		t.Fatalf("open views = %+v", views)
	}
	// The text goes into the input raw: no &amp; for the seller to clean.
	if v := string(views[0].JSON); !strings.Contains(v, `"block_id":"draft"`) || !strings.Contains(v, `Bonjour Claire, non : la LED est intégrée \u0026 ne se change pas \u003c8 W\u003e.`) {
		t.Fatalf("modal: %s", v)
	}
	edited := "Bonjour Claire, non : la LED est intégrée. Appelez-nous au 01 23 45 67 89 pour en parler."
	submit := func() json.RawMessage {
		ack, err := h.Submit(ctx, views[0].ID, marie, map[string]map[string]slack.BlockAction{
			"draft": {"draft": {Type: "plain_text_input", Value: edited}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return ack
	}
	t.Run("a text that breaks a rule comes back once with the findings", func(t *testing.T) {
		ack := submit()
		if !strings.Contains(string(ack), `"response_action":"errors"`) || !strings.Contains(string(ack), "Phone number") {
			t.Fatalf("ack = %s", ack)
		}
		settle(t, h)
		if len(hd.received()) != 0 || loadCase(t, h, id).State != sfp.StateOpen {
			t.Fatal("sent before the seller confirmed")
		}
	})
	t.Run("submitted again, it is sent as edited", func(t *testing.T) {
		if ack := submit(); strings.Contains(string(ack), "errors") {
			t.Fatalf("ack = %s", ack)
		}
		got := waitCallbacks(t, h, hd, 1)
		if got[0]["answer"] != edited {
			t.Errorf("callback answer = %q", got[0]["answer"])
		}
		c := loadCase(t, h, id)
		if c.State != sfp.StateAnswered || !c.Drafts[0].Edited || c.Drafts[0].Text != edited {
			t.Errorf("case %s, draft %+v", c.State, c.Drafts[0])
		}
		settle(t, h)
		m, _ := h.Fake.Message(acmeChan, draft.TS)
		if text := rendered(h, m); !strings.Contains(text, "edited") || !strings.Contains(text, "01 23 45 67 89") {
			t.Errorf("draft after sending:\n%s", text)
		}
	})
}

func TestRegenerateReplacesTheDraft(t *testing.T) {
	model := openaitest.New()
	defer model.Close()
	model.Push(openaitest.Text("Bonjour [NAME_1], oui."), openaitest.Text("Bonjour [NAME_1], non : la LED est intégrée, sans culot E27."))
	h := newDraftDesk(t, model)
	hd := newHelpdesk(t)
	id, card := buyerAsks(t, h, hd, "msg-3", "Bonjour, est-ce que cette lampe accepte une ampoule E27 ?")
	h.Click(ctx, acmeChan, card.TS, marie, "draft_request")
	first := waitThread(t, h, card.TS, isDraft)
	if _, err := h.Click(ctx, acmeChan, first.TS, otto, "draft_regenerate"); err != nil {
		t.Fatal(err)
	}
	second := waitThread(t, h, card.TS, func(m fakeslack.Message) bool { return isDraft(m) && strings.Contains(rendered(h, m), "sans culot") })
	if second.TS != first.TS {
		t.Errorf("regenerating posted a new message instead of replacing the draft")
	}
	c := loadCase(t, h, id)
	if len(c.Drafts) != 2 || c.Drafts[0].State != sfp.DraftReplaced || c.Drafts[1].State != sfp.DraftReady || c.Drafts[1].CreatedBy != otto {
		t.Errorf("drafts = %+v", c.Drafts)
	}
	if n := len(model.Requests()); n != 2 {
		t.Errorf("%d model requests, want 2", n)
	}
}

func TestDraftWithoutAModel(t *testing.T) {
	h := newDraftDesk(t, nil)
	hd := newHelpdesk(t)
	id, card := buyerAsks(t, h, hd, "msg-4", "Bonjour, quelle est la hauteur de la lampe ?")
	h.Click(ctx, acmeChan, card.TS, marie, "draft_request")
	draft := waitThread(t, h, card.TS, isDraft)
	text := rendered(h, draft)
	for _, want := range []string{"Bonjour Claire,", "les dimensions de « Lampe Aria »", "⟦à compléter⟧", "No messaging rule broken", "Template fallback_fr/v1"} {
		if !strings.Contains(text, want) {
			t.Errorf("template draft lacks %q:\n%s", want, text)
		}
	}
	h.Click(ctx, acmeChan, draft.TS, marie, "draft_send")
	if got := waitCallbacks(t, h, hd, 1); !strings.Contains(got[0]["answer"].(string), "Lampe Aria") {
		t.Errorf("callback = %v", got[0])
	}
	if c := loadCase(t, h, id); c.State != sfp.StateAnswered {
		t.Errorf("state %s", c.State)
	}
}

func TestAModelFailureIsOneCalmLine(t *testing.T) {
	model := openaitest.New()
	defer model.Close()
	model.Default = openaitest.Reply{Status: 429, Type: "insufficient_quota", Code: "insufficient_quota", Message: "You exceeded your current quota, please check your plan and billing details."}
	h := newDraftDesk(t, model)
	hd := newHelpdesk(t)
	_, card := buyerAsks(t, h, hd, "msg-5", "Bonjour, quelle est la hauteur de la lampe ?")
	h.Click(ctx, acmeChan, card.TS, marie, "draft_request")
	draft := waitThread(t, h, card.TS, isDraft)
	calm := waitThread(t, h, card.TS, func(m fakeslack.Message) bool { return strings.Contains(m.Text, "No model draft") })
	if text := rendered(h, calm); !strings.Contains(text, "no credit left") {
		t.Errorf("calm line: %s", text)
	}
	if !strings.Contains(rendered(h, draft), "⟦à compléter⟧") {
		t.Errorf("no template stood in:\n%s", rendered(h, draft))
	}
	if n := len(model.Requests()); n != 1 {
		t.Errorf("%d requests: an exhausted quota was retried", n)
	}
	for _, r := range replies(h, acmeChan, card.TS) {
		if strings.Contains(r, "exceeded your current quota") || strings.Contains(r, "429") {
			t.Errorf("the model's error reached Slack: %s", r)
		}
	}
}

// clickEphemeral presses a button of a private message, which exists only
// in the user's client: Slack sends the block and value the bot gave it.
func clickEphemeral(t *testing.T, h *harness, eph fakeslack.Ephemeral, actionID string) {
	t.Helper()
	var blocks []struct {
		BlockID  string `json:"block_id"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	json.Unmarshal(eph.Blocks, &blocks)
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.ActionID != actionID {
				continue
			}
			ic := slack.InteractionCallback{
				Type: slack.InteractionTypeBlockActions, User: slack.User{ID: eph.User},
				Container:      slack.Container{Type: "message", ChannelID: eph.Channel, MessageTs: eph.TS, ThreadTs: eph.ThreadTS, IsEphemeral: true},
				ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: actionID, BlockID: b.BlockID, Value: e.Value}}},
			}
			ic.Channel.ID = eph.Channel
			if _, err := h.interact(ctx, ic); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no %s in %s", actionID, eph.Blocks)
}

func lastEphemeral(t *testing.T, h *harness, user string) fakeslack.Ephemeral {
	t.Helper()
	eph := h.Fake.Ephemerals()
	for i := len(eph) - 1; i >= 0; i-- {
		if eph[i].User == user {
			return eph[i]
		}
	}
	t.Fatalf("no private message to %s", user)
	return fakeslack.Ephemeral{}
}

func TestAReplyToABuyerThatBreaksARuleIsHeld(t *testing.T) {
	h := newDraftDesk(t, nil)
	hd := newHelpdesk(t)
	id, card := buyerAsks(t, h, hd, "msg-6", "Bonjour, la lampe accepte-t-elle une ampoule E27 ?")
	h.Fake.PostAsUser(acmeChan, marie, "Non, la LED est intégrée. Appelez-nous au 01 23 45 67 89 pour une remise.", card.TS)
	settle(t, h)

	eph := lastEphemeral(t, h, marie)
	text := rendered(h, fakeslack.Message{Text: eph.Text, Blocks: eph.Blocks})
	for _, want := range []string{"not sent", "Phone number", "01 23 45 67 89", "[Send anyway] [Edit]"} {
		if !strings.Contains(text, want) {
			t.Errorf("private notice lacks %q:\n%s", want, text)
		}
	}
	if eph.ThreadTS != card.TS {
		t.Errorf("the notice is not in the card's thread")
	}
	c := loadCase(t, h, id)
	if c.State != sfp.StateOpen || len(c.Held) != 1 || len(hd.received()) != 0 {
		t.Fatalf("held reply was relayed: state %s, held %d, callbacks %d", c.State, len(c.Held), len(hd.received()))
	}

	t.Run("edited, it goes as edited", func(t *testing.T) {
		clickEphemeral(t, h, eph, "reply_edit")
		views := h.Fake.OpenViews(marie)
		if len(views) != 1 || views[0].CallbackID != "draft_edit" || !strings.Contains(string(views[0].JSON), "Appelez-nous au 01 23 45 67 89") {
			t.Fatalf("open views = %+v", views)
		}
		clean := "Non, la LED est intégrée : pas d'ampoule E27. Bonne journée !"
		ack, err := h.Submit(ctx, views[0].ID, marie, map[string]map[string]slack.BlockAction{"draft": {"draft": {Type: "plain_text_input", Value: clean}}})
		if err != nil || strings.Contains(string(ack), "errors") {
			t.Fatalf("submit: %s %v", ack, err)
		}
		if got := waitCallbacks(t, h, hd, 1); got[0]["answer"] != clean {
			t.Errorf("callback = %v", got[0])
		}
		if c := loadCase(t, h, id); c.State != sfp.StateAnswered || len(c.Held) != 0 || c.AnsweredBy != marie {
			t.Errorf("case %s by %s, held %d", c.State, c.AnsweredBy, len(c.Held))
		}
	})
	t.Run("sent anyway, it goes as written", func(t *testing.T) {
		h.Fake.PostAsUser(acmeChan, marie, "PS : suivez-nous sur Instagram !", card.TS)
		settle(t, h)
		held := lastEphemeral(t, h, marie)
		if !strings.Contains(rendered(h, fakeslack.Message{Text: held.Text, Blocks: held.Blocks}), "Marketing") {
			t.Fatalf("no notice for the second reply")
		}
		clickEphemeral(t, h, held, "reply_send_anyway")
		got := waitCallbacks(t, h, hd, 2)
		if got[1]["answer"] != "PS : suivez-nous sur Instagram !" || got[1]["type"] != "follow_up" {
			t.Errorf("callback = %v", got[1])
		}
		settle(t, h)
		if last := lastEphemeral(t, h, marie); !strings.Contains(last.Text, "Sent") {
			t.Errorf("the notice was not replaced: %+v", last)
		}
		clickEphemeral(t, h, held, "reply_send_anyway")
		settle(t, h)
		if n := len(hd.received()); n != 2 {
			t.Errorf("a second click sent it again: %d callbacks", n)
		}
	})
}

func TestAReplyToAnAgentIsCheckedNotHeld(t *testing.T) {
	h := newDraftDesk(t, nil)
	slash(t, h, karim, csChan, "ask acme Does the lamp take an E27 bulb?")
	card := lastCard(t, h, acmeChan).TS
	agentThread := lastCard(t, h, csChan).TS
	h.Fake.PostAsUser(acmeChan, marie, "No, the LED is built in. The buyer can call us on 01 23 45 67 89.", card)
	settle(t, h)
	if got := replies(h, csChan, agentThread); len(got) != 1 || !strings.Contains(got[0], "01 23 45 67 89") {
		t.Fatalf("agent's thread = %q", got)
	}
	eph := lastEphemeral(t, h, marie)
	text := rendered(h, fakeslack.Message{Text: eph.Text, Blocks: eph.Blocks})
	if !strings.Contains(text, "went to @karim") || !strings.Contains(text, "Phone number") || strings.Contains(string(eph.Blocks), "reply_send_anyway") {
		t.Errorf("notice:\n%s", text)
	}
	if c := loadCase(t, h, "SFP-1001"); c.State != sfp.StateAnswered || len(c.Held) != 0 {
		t.Errorf("case %s, held %d", c.State, len(c.Held))
	}
}
