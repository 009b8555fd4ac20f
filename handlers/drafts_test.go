package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
	"github.com/sfpdesk/sfpdesk/prompts"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

const (
	draftChannel = "C0DRAFTS"
	draftSeller  = "U0MARIE"
	draftOrder   = "402-3456789-0123456"
)

// scriptedDrafter stands in for the model: it records what it was asked,
// says its words one by one as the model would, and may fail.
type scriptedDrafter struct {
	clock *sfp.FakeClock
	words []string
	// step is how much stream time passes between two words.
	step time.Duration
	err  error
	// hold, when set, keeps Draft waiting until it is closed.
	hold chan struct{}

	mu     sync.Mutex
	inputs []prompts.Input
	called chan struct{}
}

func (d *scriptedDrafter) Draft(ctx context.Context, in prompts.Input, progress func(string)) (*prompts.Draft, error) {
	d.mu.Lock()
	d.inputs = append(d.inputs, in)
	d.mu.Unlock()
	if d.called != nil {
		d.called <- struct{}{}
	}
	if d.hold != nil {
		<-d.hold
	}
	if d.err != nil {
		return nil, d.err
	}
	text := ""
	for _, w := range d.words {
		text += w
		if progress != nil {
			progress(text)
		}
		d.clock.Advance(d.step)
	}
	return &prompts.Draft{Text: text, Lang: in.Language(), Template: "test/v1", Model: "test-model",
		Findings: prompts.Check(text, in.Language(), in.CheckKind())}, nil
}

type draftEnv struct {
	t     *testing.T
	clock *sfp.FakeClock
	fake  *fakeslack.Server
	db    *bolt.DB
	app   *App
	d     *scriptedDrafter
}

func newDraftEnv(t *testing.T) *draftEnv {
	t.Helper()
	e := &draftEnv{t: t, clock: sfp.NewFakeClock(time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))}
	e.fake = fakeslack.New(fakeslack.WithClock(e.clock.Now))
	t.Cleanup(e.fake.Close)
	e.fake.AddUser(draftSeller, "marie", "Marie Dupont", false)
	e.fake.AddChannel(draftChannel, "acme-support", false, e.fake.BotUserID(), draftSeller)
	db, err := bolt.Open(filepath.Join(t.TempDir(), "sfpdesk.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.db = db
	t.Cleanup(func() { db.Close() })
	e.d = &scriptedDrafter{clock: e.clock, words: []string{"Bonjour Claire,", " non :", " la LED", " est intégrée."}}
	e.app = &App{
		Store: db, Clock: e.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Slack:    slack.New("xoxb-test", slack.OptionAPIURL(e.fake.APIURL())),
		Drafter:  e.d,
		Catalog:  prompts.NewCatalog([]prompts.Product{{ASIN: "B0ARIA0001", Title: "Lampe Aria", Facts: []prompts.Fact{{Name: "power", Value: "LED 8 W"}}}}),
		Settings: Settings{Lang: "en", Location: time.UTC, SLA: sfp.DefaultSLA()},
	}
	e.update(func(tx store.Tx) error {
		return tx.PutSeller(&sfp.Seller{Name: "acme", Lang: "en", Routes: []sfp.Route{{Seller: "acme", Channel: draftChannel}}})
	})
	return e
}

func (e *draftEnv) update(fn func(tx store.Tx) error) {
	e.t.Helper()
	if err := e.db.Update(context.Background(), fn); err != nil {
		e.t.Fatal(err)
	}
}

// question makes a buyer's question case as the intake API would.
func (e *draftEnv) question(kind sfp.Kind, change func(*newCase)) *sfp.Case {
	e.t.Helper()
	nc := newCase{Kind: kind, Seller: "acme", Marketplace: "amazon.fr", Source: sfp.SourceIntake, ASIN: "B0ARIA0001",
		Customer: sfp.Customer{Name: "Claire Rousseau", Language: "fr"}, Body: "Bonjour, la lampe accepte-t-elle une ampoule E27 ?",
		CallbackURL: "https://helpdesk.example/sfpdesk", By: intakeBy}
	if change != nil {
		change(&nc)
	}
	var c *sfp.Case
	e.update(func(tx store.Tx) error {
		var err error
		c, err = e.app.createCase(tx, nc)
		return err
	})
	return c
}

func (e *draftEnv) caseOf(id string) *sfp.Case {
	e.t.Helper()
	var c *sfp.Case
	if err := e.db.View(context.Background(), func(tx store.Tx) error {
		var err error
		c, err = tx.Case(id)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// click presses a button as the seller.
func (e *draftEnv) click(actionID, blockID, caseID string) {
	e.app.Interaction(context.Background(), slack.InteractionCallback{
		Type: slack.InteractionTypeBlockActions, User: slack.User{ID: draftSeller}, TriggerID: e.fake.NewTriggerID(draftSeller),
		Channel:        slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: draftChannel}}},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: actionID, BlockID: blockID, Value: caseID}}},
	})
}

// wait waits for the background work the clicks started (drafting,
// private answers), looking again whenever the fake Slack hears something.
func (e *draftEnv) wait() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for !e.app.Idle() {
		wctx, wcancel := context.WithTimeout(ctx, 5*time.Millisecond)
		e.fake.WaitFor(wctx, func() bool { return false })
		wcancel()
		if ctx.Err() != nil {
			e.t.Fatal("background work still running")
		}
	}
}

// outbox lists the messages queued for the seller's channel, oldest first.
func (e *draftEnv) outbox() []*store.OutboxMessage {
	var ms []*store.OutboxMessage
	e.db.View(context.Background(), func(tx store.Tx) error {
		ms, _ = tx.Pending(draftChannel, 1000)
		return nil
	})
	return ms
}

func (e *draftEnv) ephemerals() []string {
	var out []string
	for _, m := range e.fake.Ephemerals() {
		out = append(out, m.Text)
	}
	return out
}

func TestDraftInputGathersWhatADraftNeeds(t *testing.T) {
	e := newDraftEnv(t)
	answered := func(seller, asin, question, answer string) {
		nc := newCase{Kind: sfp.KindProductQuestion, Seller: seller, Marketplace: "amazon.fr", Source: sfp.SourceIntake, ASIN: asin, Body: question, By: intakeBy,
			Customer: sfp.Customer{Name: "Jeanne Dupont"}}
		e.update(func(tx store.Tx) error {
			c, err := e.app.createCase(tx, nc)
			if err != nil {
				return err
			}
			if err := e.app.answer(tx, c, draftSeller, answer, nil); err != nil {
				return err
			}
			return tx.PutCase(c)
		})
	}
	answered("acme", "B0ARIA0001", "La lampe accepte-t-elle une ampoule E27 ?", "Non, la LED de 8 W est intégrée.")
	answered("acme", "B0ARIA0001", "Existe-t-elle en blanc ?", "Oui, en noir et en blanc.")
	answered("acme", "B0OTHER001", "Une ampoule E27 va-t-elle dans la suspension ?", "Oui.")
	answered("globex", "B0ARIA0001", "Une ampoule E27 ?", "Chez nous, oui.")
	e.update(func(tx store.Tx) error {
		_, err := e.app.createCase(tx, newCase{Kind: sfp.KindReturnReceived, Seller: "acme", OrderID: draftOrder, Source: sfp.SourceIntake,
			Return: &sfp.Return{ReceivedAt: e.clock.Now()}, By: intakeBy})
		return err
	})
	c := e.question(sfp.KindOrderQuestion, func(nc *newCase) {
		nc.OrderID = draftOrder
		nc.Body = "Bonjour, peut-on mettre une ampoule E27 dans la lampe ? Et quand serai-je remboursée de l'autre ?"
	})

	e.click(bot.ActionDraftRequest, "case_actions", c.ID)
	e.wait()
	if len(e.d.inputs) != 1 {
		t.Fatalf("%d drafts asked", len(e.d.inputs))
	}
	in := e.d.inputs[0]
	if in.Kind != sfp.KindOrderQuestion || in.Language() != "fr" || in.Customer.Name != "Claire Rousseau" || in.OrderID != draftOrder || in.ForAgent {
		t.Errorf("input = %+v", in)
	}
	if in.Product == nil || in.Product.Title != "Lampe Aria" {
		t.Errorf("product = %+v", in.Product)
	}
	if !in.ReturnReceived || in.CheckKind() != "return_received" {
		t.Errorf("the return received on the order was missed")
	}
	// Only acme's answers on this ASIN, and of those the ones about the
	// same thing: the colour question shares no word with this one.
	if len(in.Earlier) != 1 || in.Earlier[0].Answer != "Non, la LED de 8 W est intégrée." {
		t.Errorf("earlier answers = %+v", in.Earlier)
	}
	// Each earlier answer brings what its own case knows of its buyer, so
	// that the prompt redacts it too.
	if len(in.Earlier) == 1 && in.Earlier[0].Known.Name != "Jeanne Dupont" {
		t.Errorf("the earlier case's buyer is not known to its answer: %+v", in.Earlier[0].Known)
	}
}

func TestDraftingUpdatesTheMessageEveryTwoSeconds(t *testing.T) {
	e := newDraftEnv(t)
	e.d.step = time.Second
	c := e.question(sfp.KindProductQuestion, nil)
	e.click(bot.ActionDraftRequest, "case_actions", c.ID)
	e.wait()
	c = e.caseOf(c.ID)
	if len(c.Drafts) != 1 || c.Drafts[0].State != sfp.DraftReady || c.Drafts[0].Text != "Bonjour Claire, non : la LED est intégrée." {
		t.Fatalf("drafts = %+v", c.Drafts)
	}
	var posted uint64
	var updates []string
	for _, m := range e.outbox() {
		switch {
		case m.Op == store.OpPost && m.ThreadOf == c.Card.OutboxID:
			posted = m.ID
			if !strings.Contains(m.Text, "Drafting a reply for "+c.ID) {
				t.Errorf("first post %q", m.Text)
			}
		case m.Op == store.OpUpdate && posted != 0 && m.Target == posted:
			updates = append(updates, blockText(m.Blocks))
		}
	}
	// Words at 0, 1, 2 and 3 seconds: updates at 0 and 2, then the draft.
	if len(updates) != 3 {
		t.Fatalf("%d updates of the draft message, want 3: %q", len(updates), updates)
	}
	if !strings.Contains(updates[0], "Still writing") || !strings.Contains(updates[0], "Bonjour Claire,") || strings.Contains(updates[0], "non") ||
		!strings.Contains(updates[1], "la LED") || strings.Contains(updates[1], "intégrée") {
		t.Errorf("partial updates: %q", updates[:2])
	}
	if !strings.Contains(updates[2], "Send this reply") || !strings.Contains(updates[2], "test-model") {
		t.Errorf("final update: %q", updates[2])
	}
}

func TestSendingADraftTwiceSendsItOnce(t *testing.T) {
	e := newDraftEnv(t)
	c := e.question(sfp.KindProductQuestion, nil)
	e.click(bot.ActionDraftRequest, "case_actions", c.ID)
	e.wait()
	e.click(bot.ActionDraftSend, bot.BlockDraftPrefix+"D1", c.ID)
	e.click(bot.ActionDraftSend, bot.BlockDraftPrefix+"D1", c.ID)
	e.wait()
	c = e.caseOf(c.ID)
	var cbs []*store.Callback
	e.db.View(context.Background(), func(tx store.Tx) error {
		cbs, _ = tx.CaseCallbacks(c.ID)
		return nil
	})
	if len(cbs) != 1 || cbs[0].Answer != "Bonjour Claire, non : la LED est intégrée." || cbs[0].Type != "answer" {
		t.Errorf("callbacks = %+v", cbs)
	}
	if c.State != sfp.StateAnswered || c.Drafts[0].State != sfp.DraftSent || c.Drafts[0].SentBy != draftSeller || len(c.Answers) != 1 {
		t.Errorf("case %s, draft %+v, answers %d", c.State, c.Drafts[0], len(c.Answers))
	}
	if eph := e.ephemerals(); len(eph) != 1 || !strings.Contains(eph[0], "already sent") {
		t.Errorf("private answers = %q", eph)
	}
}

func TestDraftButtonsRefuseWhatTheyCannotDo(t *testing.T) {
	t.Run("a second request while drafting", func(t *testing.T) {
		e := newDraftEnv(t)
		e.d.hold, e.d.called = make(chan struct{}), make(chan struct{}, 1)
		c := e.question(sfp.KindProductQuestion, nil)
		e.click(bot.ActionDraftRequest, "case_actions", c.ID)
		<-e.d.called
		e.click(bot.ActionDraftRequest, "case_actions", c.ID)
		e.click(bot.ActionDraftSend, bot.BlockDraftPrefix+"D1", c.ID)
		close(e.d.hold)
		e.wait()
		// Private answers go out in the background, in either order.
		eph := e.ephemerals()
		sort.Strings(eph)
		if len(eph) != 2 || !strings.Contains(eph[0], "already being written") || !strings.Contains(eph[1], "still being written") {
			t.Errorf("private answers = %q", eph)
		}
		if n := len(e.caseOf(c.ID).Drafts); n != 1 {
			t.Errorf("%d drafts", n)
		}
	})
	t.Run("a refund notice has nothing to draft", func(t *testing.T) {
		e := newDraftEnv(t)
		c := e.question(sfp.KindRefundNotice, func(nc *newCase) {
			nc.OrderID = draftOrder
			nc.Refund = &sfp.Refund{Amount: sfp.Money{Minor: 3990, Currency: "EUR"}, Reason: "defective", RefundedBy: "amazon_cs"}
		})
		e.click(bot.ActionDraftRequest, "case_actions", c.ID)
		e.wait()
		if eph := e.ephemerals(); len(eph) != 1 || !strings.Contains(eph[0], "Drafts are for questions") {
			t.Errorf("private answers = %q", eph)
		}
	})
	t.Run("a draft that is gone", func(t *testing.T) {
		e := newDraftEnv(t)
		c := e.question(sfp.KindProductQuestion, nil)
		e.click(bot.ActionDraftSend, bot.BlockDraftPrefix+"D7", c.ID)
		e.wait()
		if eph := e.ephemerals(); len(eph) != 1 || !strings.Contains(eph[0], "no longer there") {
			t.Errorf("private answers = %q", eph)
		}
	})
}

func TestAFailingModelLeavesATemplateAndOneCalmLine(t *testing.T) {
	e := newDraftEnv(t)
	e.d.err = &prompts.DraftError{Kind: prompts.KindQuota, Err: errors.New("error, status code: 429, message: You exceeded your current quota")}
	c := e.question(sfp.KindProductQuestion, nil)
	e.click(bot.ActionDraftRequest, "case_actions", c.ID)
	e.wait()
	d := e.caseOf(c.ID).Drafts[0]
	if d.State != sfp.DraftReady || d.Model != "" || d.Template != "fallback_fr/v1" || d.Fallback != "quota" || !strings.Contains(d.Text, "⟦à compléter⟧") {
		t.Errorf("draft = %+v", d)
	}
	var lines []string
	for _, m := range e.outbox() {
		if m.Op == store.OpPost && m.ThreadOf == c.Card.OutboxID {
			lines = append(lines, m.Text)
		}
		if strings.Contains(m.Text+string(m.Blocks), "exceeded") || strings.Contains(m.Text+string(m.Blocks), "429") {
			t.Errorf("the model's error reached Slack: %s", m.Text)
		}
	}
	if len(lines) != 2 || !strings.Contains(lines[1], "no credit left") {
		t.Errorf("thread = %q", lines)
	}
}

// The rules check made before the transaction is used inside it only while
// the case still asks for that check: a buyer whose language changed in
// between gets the check for their language.
func TestRulesCheckedBeforeTheTransactionFollowTheCase(t *testing.T) {
	e := newDraftEnv(t)
	ctx := context.Background()
	c := e.question(sfp.KindProductQuestion, nil)
	e.update(func(tx store.Tx) error {
		c, _ = tx.Case(c.ID)
		c.Card.TS = "1700000000.000100"
		return tx.PutCase(c)
	})
	english := "Yes, the lamp takes any E27 bulb, and it works with every dimmer switch we sell."
	pre := e.app.precheckReply(ctx, c.Card.Channel, c.Card.TS, english)
	if pre == nil || pre.lang != "fr" || !slices.ContainsFunc(pre.findings, func(f sfp.Finding) bool { return f.Rule == string(prompts.RuleWrongLanguage) }) {
		t.Fatalf("pre-check for a French buyer: %+v", pre)
	}
	if got := e.app.precheckReply(ctx, c.Card.Channel, "1700000000.999999", english); got != nil {
		t.Errorf("a thread that is no card was checked: %+v", got)
	}
	if got := e.app.precheckReply(ctx, c.Card.Channel, c.Card.TS, "  "); got != nil {
		t.Errorf("an empty reply was checked: %+v", got)
	}
	e.update(func(tx store.Tx) error {
		cs, _ := tx.Case(c.ID)
		// Unchanged: the findings made before are the ones used.
		marker := []sfp.Finding{{Rule: "marker"}}
		if fs := e.app.rulesFor(tx, cs, english, &ruleCheck{lang: pre.lang, kind: pre.kind, findings: marker}); len(fs) != 1 || fs[0].Rule != "marker" {
			t.Errorf("unchanged case: findings %+v, want those made before", fs)
		}
		// The buyer turns out to write English: checked again.
		cs.Customer.Language = "en"
		if fs := e.app.rulesFor(tx, cs, english, pre); len(fs) != 0 {
			t.Errorf("English buyer: findings %+v, want none", fs)
		}
		return nil
	})
}
