package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/prompts"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// Drafted replies and checked replies (DESIGN §3.4). "Draft reply" on a
// question's card posts a draft in the card's thread; the draft is written
// in the background, never on Slack's 3-second path, and a person sends it
// (as it is, edited, or regenerated first). A seller's reply to a buyer
// that breaks a messaging rule is held back until its author sends it
// anyway or edits it; a reply to an agent is checked and relayed.

// Drafter writes draft replies: prompts.Model with a model, prompts.Templates
// without one.
type Drafter interface {
	Draft(ctx context.Context, in prompts.Input, progress func(text string)) (*prompts.Draft, error)
}

// Products finds a product's facts by SKU or ASIN (SFPDESK_CATALOG).
type Products interface {
	Lookup(sku, asin string) (*prompts.Product, bool)
}

const (
	// draftUpdateEvery spaces the updates of a draft being written: Slack's
	// chat.update budget is shared by the whole workspace (about 50 a
	// minute), and the outbox merges what queues up meanwhile.
	draftUpdateEvery = 2 * time.Second
	// draftStale is when a draft still "drafting" is taken for lost (the
	// process stopped while writing it): someone may ask for another.
	draftStale = 2 * time.Minute
	// maxEarlierCandidates bounds the seller's earlier cases on a product
	// that are compared with the question: the most recent ones.
	maxEarlierCandidates = 200
	// seenDraftEdit remembers, per modal, the text whose findings were
	// shown: submitting the same text again sends it anyway.
	seenDraftEdit = "draft_edit"
)

func (a *App) drafter() Drafter {
	if a.Drafter == nil {
		return prompts.Templates{}
	}
	return a.Drafter
}

// onDraftAction handles the buttons of drafts and of held replies.
func (a *App) onDraftAction(ctx context.Context, cb slack.InteractionCallback, act *slack.BlockAction) error {
	user := cb.User.ID
	switch act.ActionID {
	case bot.ActionDraftRequest:
		return a.requestDraft(ctx, act.Value, user, "")
	case bot.ActionDraftRegenerate:
		return a.requestDraft(ctx, act.Value, user, strings.TrimPrefix(act.BlockID, bot.BlockDraftPrefix))
	case bot.ActionDraftSend:
		return a.sendDraft(ctx, act.Value, strings.TrimPrefix(act.BlockID, bot.BlockDraftPrefix), user)
	case bot.ActionDraftEdit:
		return a.openDraftEdit(ctx, cb, editRef{Case: act.Value, Draft: strings.TrimPrefix(act.BlockID, bot.BlockDraftPrefix)})
	case bot.ActionReplySendAnyway:
		return a.sendHeld(ctx, cb, act.Value, strings.TrimPrefix(act.BlockID, bot.BlockHeldPrefix))
	case bot.ActionReplyEdit:
		return a.openDraftEdit(ctx, cb, editRef{Case: act.Value, Held: strings.TrimPrefix(act.BlockID, bot.BlockHeldPrefix)})
	}
	return nil
}

// requestDraft posts "Drafting…" in the case's thread (or, to regenerate,
// turns the draft's message back to it) and starts the drafting.
func (a *App) requestDraft(ctx context.Context, caseID, user, replace string) error {
	var draftID string
	err := a.Store.Update(ctx, func(tx store.Tx) error {
		c, err := loadCase(tx, caseID)
		if err != nil {
			return err
		}
		lang := a.prefs(tx, c.Seller).lang
		if !c.Kind.IsQuestion() || c.Card.Channel == "" {
			return sfp.Errorf(sfp.EINVALID, "%s", bot.T(lang, "draft.not_question"))
		}
		now := a.Clock.Now()
		for _, d := range c.Drafts {
			if d.State == sfp.DraftDrafting && now.Sub(d.CreatedAt) < draftStale {
				return sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, "draft.busy", c.ID))
			}
		}
		drafting := bot.DraftingMessage(c.ID, lang)
		var msg sfp.MessageRef
		if replace != "" {
			old := c.Draft(replace)
			switch {
			case old == nil:
				return sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, "draft.gone"))
			case old.State == sfp.DraftSent:
				return sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, "draft.already_sent"))
			}
			old.State, msg = sfp.DraftReplaced, old.Message
			if err := a.updateMessage(tx, c.ID, msg, drafting); err != nil {
				return err
			}
		} else {
			id, err := tx.Enqueue(&store.OutboxMessage{
				CaseID: c.ID, Channel: c.Card.Channel, ThreadTS: c.Card.TS, ThreadOf: c.Card.OutboxID,
				Text: drafting.FallbackText(), Blocks: drafting.BlocksJSON(), CreatedAt: now,
			})
			if err != nil {
				return err
			}
			msg = sfp.MessageRef{Channel: c.Card.Channel, OutboxID: id}
		}
		d := c.NewDraft(now, user)
		d.Message = msg
		draftID = d.ID
		return tx.PutCase(c)
	})
	if err != nil {
		return err
	}
	a.notify()
	a.background(ctx, func(ctx context.Context) { a.writeDraft(ctx, caseID, draftID) })
	return nil
}

// writeDraft drafts in the background. The draft message follows the
// model's words as they come, at most every draftUpdateEvery of the
// stream; a model that fails leaves a template draft and one calm line.
func (a *App) writeDraft(ctx context.Context, caseID, draftID string) {
	var in prompts.Input
	var lang string
	var msg sfp.MessageRef
	err := a.Store.View(ctx, func(tx store.Tx) error {
		c, err := loadCase(tx, caseID)
		if err != nil {
			return err
		}
		d := c.Draft(draftID)
		if d == nil {
			return sfp.Errorf(sfp.ENOTFOUND, "no draft %s", draftID)
		}
		in, lang, msg = a.draftInput(tx, c), a.prefs(tx, c.Seller).lang, d.Message
		return nil
	})
	if err != nil {
		a.Log.Error("drafting: reading the case", "case_id", caseID, "err", err)
		return
	}
	var last time.Time
	progress := func(text string) {
		now := a.Clock.Now()
		if !last.IsZero() && now.Sub(last) < draftUpdateEvery {
			return
		}
		last = now
		m := bot.DraftMessage(bot.DraftView{Lang: lang, CaseID: caseID, Partial: true,
			Draft: sfp.Draft{ID: draftID, Text: text, Lang: in.Language()}})
		err := a.Store.Update(ctx, func(tx store.Tx) error { return a.updateMessage(tx, caseID, msg, m) })
		if err == nil {
			a.notify()
		}
	}
	res, err := a.drafter().Draft(ctx, in, progress)
	failure := ""
	if err != nil {
		failure = prompts.ErrorKind(err)
		// The cause goes to the log, never to Slack: a model's error text
		// means nothing to a seller.
		a.Log.Warn("drafting with the model failed; a template stands in", "case_id", caseID, "kind", failure, "err", err)
		if res, err = (prompts.Templates{}).Draft(ctx, in, nil); err != nil {
			a.Log.Error("drafting from the templates failed", "case_id", caseID, "err", err)
			return
		}
	}
	// The model may have used up the background's time: the result is
	// stored all the same.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err = a.Store.Update(sctx, func(tx store.Tx) error {
		c, err := loadCase(tx, caseID)
		if err != nil {
			return err
		}
		d := c.Draft(draftID)
		if d == nil || d.State != sfp.DraftDrafting {
			return nil
		}
		now := a.Clock.Now()
		d.State, d.Text, d.Lang, d.Template, d.Model = sfp.DraftReady, res.Text, res.Lang, res.Template, res.Model
		d.Findings, d.Fallback = prompts.FindingsOf(res.Findings), failure
		p := a.prefs(tx, c.Seller)
		view := bot.DraftMessage(bot.DraftView{Lang: p.lang, CaseID: c.ID, Draft: *d, ToBuyer: c.CallbackURL != ""})
		if err := a.updateMessage(tx, c.ID, d.Message, view); err != nil {
			return err
		}
		if failure != "" {
			if err := enqueueReply(tx, c, c.Card, bot.DraftFailed(p.lang, failure), now); err != nil {
				return err
			}
		}
		detail := d.ID + " " + d.Template
		if d.Model != "" {
			detail += " " + d.Model
		}
		c.AddEvent(now, sfp.EventDrafted, d.CreatedBy, detail)
		return tx.PutCase(c)
	})
	if err != nil {
		a.Log.Error("drafting: storing the draft", "case_id", caseID, "err", err)
		return
	}
	a.notify()
}

// draftInput gathers what a draft of c is written from.
func (a *App) draftInput(tx store.Tx, c *sfp.Case) prompts.Input {
	in := prompts.Input{
		Kind: c.Kind, Marketplace: c.Marketplace, Lang: c.Customer.Language,
		Subject: c.Subject, Question: c.Body, OrderID: c.OrderID,
		Customer:       prompts.KnownPII{Name: c.Customer.Name},
		ReturnReceived: returnReceived(tx, c),
		ForAgent:       c.Asker != nil && c.CallbackURL == "",
	}
	if a.Catalog != nil {
		if p, ok := a.Catalog.Lookup(c.SKU, c.ASIN); ok {
			in.Product = p
		}
	}
	in.Earlier = prompts.MostSimilar(c.Body, a.earlierAnswers(tx, c), 3)
	return in
}

// returnReceived reports whether a return of c's order has reached the
// warehouse: its refund is then the seller's to make (2 business days).
func returnReceived(tx store.Tx, c *sfp.Case) bool {
	if c.Return != nil {
		return true
	}
	if c.OrderID == "" {
		return false
	}
	cs, err := tx.CasesByOrder(c.OrderID)
	if err != nil {
		return false
	}
	for _, x := range cs {
		if x.Kind == sfp.KindReturnReceived && x.Seller == c.Seller {
			return true
		}
	}
	return false
}

// earlierAnswers are the seller's answers on other cases about the same
// product: its own words on its own products, the best source of facts
// and tone a draft has.
func (a *App) earlierAnswers(tx store.Tx, c *sfp.Case) []prompts.Example {
	if c.ASIN == "" && c.SKU == "" {
		return nil
	}
	var ring []prompts.Example
	err := tx.ForEachCase(func(x *sfp.Case) bool {
		if x.ID == c.ID || x.Seller != c.Seller || len(x.Answers) == 0 || strings.TrimSpace(x.Body) == "" {
			return true
		}
		if (c.ASIN != "" && x.ASIN == c.ASIN) || (c.SKU != "" && x.SKU == c.SKU) {
			ring = append(ring, prompts.Example{Question: x.Body, Answer: x.Answers[0].Text, At: x.Answers[0].At,
				Known: prompts.KnownPII{Name: x.Customer.Name}})
			if len(ring) > maxEarlierCandidates {
				ring = ring[1:]
			}
		}
		return true
	})
	if err != nil {
		a.Log.Warn("drafting: reading earlier answers", "case_id", c.ID, "err", err)
	}
	return ring
}

// sendDraft sends a draft as it is: the seller's answer, relayed where the
// case came from.
func (a *App) sendDraft(ctx context.Context, caseID, draftID, user string) error {
	err := a.Store.Update(ctx, func(tx store.Tx) error {
		c, err := loadCase(tx, caseID)
		if err != nil {
			return err
		}
		d, err := a.sendable(tx, c, draftID)
		if err != nil {
			return err
		}
		if err := a.answer(tx, c, user, d.Text, nil); err != nil {
			return err
		}
		if err := a.markSent(tx, c, d, user, d.Text); err != nil {
			return err
		}
		return tx.PutCase(c)
	})
	if err == nil {
		a.notify()
	}
	return err
}

// sendable finds a draft that can still be sent.
func (a *App) sendable(tx store.Tx, c *sfp.Case, draftID string) (*sfp.Draft, error) {
	lang := a.prefs(tx, c.Seller).lang
	d := c.Draft(draftID)
	switch {
	case d == nil || d.State == sfp.DraftReplaced:
		return nil, sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, "draft.gone"))
	case d.State == sfp.DraftSent:
		// A second click, or a second person: the buyer gets it once.
		return nil, sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, "draft.already_sent"))
	case d.State != sfp.DraftReady:
		return nil, sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, "draft.not_ready"))
	}
	return d, nil
}

// markSent records who sent a draft and with which words, and turns its
// message into the record of it.
func (a *App) markSent(tx store.Tx, c *sfp.Case, d *sfp.Draft, user, text string) error {
	now := a.Clock.Now()
	d.State, d.SentAt, d.SentBy = sfp.DraftSent, &now, user
	if text != d.Text {
		d.Text, d.Edited = text, true
		d.Findings = a.rulesFor(tx, c, text, nil)
	}
	c.AddEvent(now, sfp.EventDraftSent, user, d.ID)
	p := a.prefs(tx, c.Seller)
	return a.updateMessage(tx, c.ID, d.Message, bot.DraftMessage(bot.DraftView{Lang: p.lang, CaseID: c.ID, Draft: *d}))
}

// editRef is the edit modal's private metadata: which reply it edits.
type editRef struct {
	Case  string `json:"case"`
	Draft string `json:"draft,omitempty"`
	Held  string `json:"held,omitempty"`
	// Channel and Thread are where the seller clicked: a notice about the
	// reply sent goes there.
	Channel string `json:"c,omitempty"`
	Thread  string `json:"th,omitempty"`
}

// openDraftEdit opens the edit modal on the acknowledgement path, since a
// trigger_id lives 3 seconds.
func (a *App) openDraftEdit(ctx context.Context, cb slack.InteractionCallback, ref editRef) error {
	var text, lang string
	err := a.Store.View(ctx, func(tx store.Tx) error {
		c, err := loadCase(tx, ref.Case)
		if err != nil {
			return err
		}
		lang = a.prefs(tx, c.Seller).lang
		if ref.Held != "" {
			for _, h := range c.Held {
				if h.ID == ref.Held {
					text = h.Text
					return nil
				}
			}
			return sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, "reply.gone"))
		}
		d, err := a.sendable(tx, c, ref.Draft)
		if err != nil {
			return err
		}
		text = d.Text
		return nil
	})
	if err != nil {
		return err
	}
	ref.Channel, ref.Thread = cb.Channel.ID, cb.Container.ThreadTs
	if ref.Channel == "" {
		ref.Channel = cb.Container.ChannelID
	}
	meta, _ := json.Marshal(ref)
	if _, err := a.openView(ctx, cb.TriggerID, bot.DraftEditModal(lang, text, string(meta))); err != nil {
		a.Log.Warn("opening the draft modal failed", "case_id", ref.Case, "err", err)
	}
	return nil
}

// submitDraftEdit checks the edited text and sends it. Text bound for a
// buyer that still breaks a rule comes back once with the findings under
// it; submitted again unchanged, it is sent: a person decided.
func (a *App) submitDraftEdit(ctx context.Context, cb slack.InteractionCallback) any {
	var ref editRef
	_ = json.Unmarshal([]byte(cb.View.PrivateMetadata), &ref)
	text := selected(&cb.View, bot.BlockDraft)
	user := cb.User.ID
	lang := a.Settings.Lang
	var errs map[string]string
	var notice *bot.Message
	var card sfp.MessageRef
	err := a.Store.Update(ctx, func(tx store.Tx) error {
		errs, notice = nil, nil
		c, err := loadCase(tx, ref.Case)
		if err != nil {
			return err
		}
		p := a.prefs(tx, c.Seller)
		lang, card = p.lang, c.Card
		if text == "" {
			errs = map[string]string{bot.BlockDraft: bot.T(lang, "modal.draft_empty")}
			return nil
		}
		fs := a.rulesFor(tx, c, text, nil)
		toBuyer := c.CallbackURL != ""
		if toBuyer && len(fs) > 0 {
			sum := sha256.Sum256([]byte(text))
			hash := hex.EncodeToString(sum[:])
			prev, seen, err := tx.Seen(seenDraftEdit, cb.View.ID)
			if err != nil {
				return err
			}
			if !seen || prev != hash {
				errs = map[string]string{bot.BlockDraft: bot.FindingsError(fs, lang)}
				return tx.Remember(seenDraftEdit, cb.View.ID, hash, a.Clock.Now())
			}
		}
		var files []string
		var d *sfp.Draft
		if ref.Held != "" {
			h, ok := c.Release(ref.Held)
			if !ok {
				return sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, "reply.gone"))
			}
			files = h.Files
		} else if d, err = a.sendable(tx, c, ref.Draft); err != nil {
			return err
		}
		if err := a.answer(tx, c, user, text, files); err != nil {
			return err
		}
		if d != nil {
			if err := a.markSent(tx, c, d, user, text); err != nil {
				return err
			}
		}
		if !toBuyer && len(fs) > 0 && c.Asker != nil {
			m := bot.CheckedReply(bot.Mention(c.Asker.UserID), fs, lang)
			notice = &m
		}
		return tx.PutCase(c)
	})
	switch {
	case err != nil && sfp.ErrorCode(err) == sfp.EINTERNAL:
		a.Log.Error("sending an edited reply", "case_id", ref.Case, "err", err)
		return fieldErrors(map[string]string{bot.BlockDraft: bot.T(lang, "error.internal")})
	case err != nil:
		return fieldErrors(map[string]string{bot.BlockDraft: sfp.ErrorMessage(err)})
	case errs != nil:
		return fieldErrors(errs)
	}
	a.notify()
	if notice != nil {
		ch, th := ref.Channel, ref.Thread
		if ch == "" {
			ch, th = card.Channel, card.TS
		}
		a.postPrivately(ctx, ch, th, user, *notice)
	}
	return nil
}

// sendHeld sends a held reply as it was written.
func (a *App) sendHeld(ctx context.Context, cb slack.InteractionCallback, caseID, heldID string) error {
	lang := a.Settings.Lang
	err := a.Store.Update(ctx, func(tx store.Tx) error {
		c, err := loadCase(tx, caseID)
		if err != nil {
			return err
		}
		lang = a.prefs(tx, c.Seller).lang
		h, ok := c.Release(heldID)
		if !ok {
			return sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, "reply.gone"))
		}
		if err := a.answerFromSlack(tx, c, cb.User.ID, h.Text, h.Markup, h.Files); err != nil {
			return err
		}
		return tx.PutCase(c)
	})
	if err != nil {
		return err
	}
	a.notify()
	a.replaceOriginal(ctx, cb.ResponseURL, bot.ReplySent(lang))
	return nil
}

// replyCheck is what a seller's reply on c is judged by: the buyer's
// language, and the kind the rules read (a received return's refund is the
// seller's to make).
func (a *App) replyCheck(tx store.Tx, c *sfp.Case) (lang, kind string) {
	// The language rule is the buyer's: a reply bound for an agent is in
	// whatever language seller and agent share, and the agent words what
	// reaches the buyer. Its contents are still checked, since the agent
	// may pass them on as they are.
	if c.CallbackURL != "" {
		lang = prompts.BuyerLanguage(c.Customer.Language, c.Subject+"\n"+c.Body, c.Marketplace)
	}
	kind = string(c.Kind)
	if returnReceived(tx, c) {
		kind = string(sfp.KindReturnReceived)
	}
	return lang, kind
}

// checksReplies says whether a reply in c's card thread is checked: one
// with words in it, bound for a buyer or an agent.
func checksReplies(c *sfp.Case, text string) bool {
	return (c.CallbackURL != "" || c.Asker != nil) && strings.TrimSpace(text) != ""
}

// ruleCheck is the rules check of a reply's text, made for a case as it
// stood: the check takes a tenth of a millisecond and needs nothing but
// the text and what the case says of its buyer, so it is made before the
// write transaction, in which every other writer waits, and reused inside
// it while the case still asks for the same check.
type ruleCheck struct {
	lang, kind string
	findings   []sfp.Finding
}

// precheckReply checks a reply in a card's thread against the rules for
// its case as read now; nil when the reply is not one that is checked.
func (a *App) precheckReply(ctx context.Context, channel, threadTS, text string) *ruleCheck {
	var pre *ruleCheck
	a.Store.View(ctx, func(tx store.Tx) error {
		c, err := tx.CaseByMessage(channel, threadTS)
		if err != nil || c.Card.Channel != channel || c.Card.TS != threadTS || !checksReplies(c, text) {
			return nil
		}
		lang, kind := a.replyCheck(tx, c)
		pre = &ruleCheck{lang: lang, kind: kind, findings: prompts.FindingsOf(prompts.Check(text, lang, kind))}
		return nil
	})
	return pre
}

// rulesFor is what the rules find in text for c: pre's findings when c
// asks for the check pre made.
func (a *App) rulesFor(tx store.Tx, c *sfp.Case, text string, pre *ruleCheck) []sfp.Finding {
	lang, kind := a.replyCheck(tx, c)
	if pre != nil && pre.lang == lang && pre.kind == kind {
		return pre.findings
	}
	return prompts.FindingsOf(prompts.Check(text, lang, kind))
}

// checkedReply is what checking a seller's reply found.
type checkedReply struct {
	caseID   string
	lang     string // the bot's
	findings []sfp.Finding
	held     *sfp.HeldReply // set when the reply was kept back
	to       string         // who the reply went to, when it went
}

// checkReply checks a seller's reply in a card's thread before it is
// relayed. A reply bound for a buyer that breaks a rule is held (stored on
// the case, not relayed, the case not answered); one bound for an agent is
// relayed and its findings shown to the seller. nil: nothing to say.
// pre is the check made before the transaction (nil: none).
func (a *App) checkReply(tx store.Tx, c *sfp.Case, user, text, markup string, files []string, pre *ruleCheck) (*checkedReply, error) {
	if !checksReplies(c, text) {
		return nil, nil
	}
	fs := a.rulesFor(tx, c, text, pre)
	if len(fs) == 0 {
		return nil, nil
	}
	r := &checkedReply{caseID: c.ID, lang: a.prefs(tx, c.Seller).lang, findings: fs}
	if c.CallbackURL == "" {
		r.to = bot.Mention(c.Asker.UserID)
		return r, nil
	}
	now := a.Clock.Now()
	h := *c.Hold(sfp.HeldReply{Text: text, Markup: markup, Files: files, By: user, At: now, Findings: fs})
	r.held = &h
	c.AddEvent(now, sfp.EventHeld, user, h.ID)
	return r, tx.PutCase(c)
}

// tellChecked tells the seller privately what checking the reply found.
func (a *App) tellChecked(ctx context.Context, channel, thread, user string, r *checkedReply) {
	m := bot.CheckedReply(r.to, r.findings, r.lang)
	if r.held != nil {
		m = bot.HeldReply(r.caseID, *r.held, r.lang)
	}
	a.postPrivately(ctx, channel, thread, user, m)
}

// postPrivately shows m to user alone, after the acknowledgement.
func (a *App) postPrivately(ctx context.Context, channel, thread, user string, m bot.Message) {
	opts := []slack.MsgOption{slack.MsgOptionText(bot.Fallback(m.Text, m.Blocks), false), slack.MsgOptionBlocks(m.Blocks...)}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	if a.Slack == nil {
		return
	}
	a.background(ctx, func(ctx context.Context) {
		if _, err := a.Slack.PostEphemeralContext(ctx, channel, user, opts...); err != nil {
			a.Log.Warn("private message failed", "channel", channel, "err", err)
		}
	})
}

// updateMessage queues an edit of a message of ours; the outbox merges the
// queued edits of one message, the latest winning.
func (a *App) updateMessage(tx store.Tx, caseID string, ref sfp.MessageRef, m bot.Message) error {
	if ref.Channel == "" {
		return nil
	}
	_, err := tx.Enqueue(&store.OutboxMessage{
		CaseID: caseID, Channel: ref.Channel, Op: store.OpUpdate, Target: ref.OutboxID, TargetTS: ref.TS,
		Text: m.FallbackText(), Blocks: m.BlocksJSON(), CreatedAt: a.Clock.Now(),
	})
	return err
}

// replaceOriginal replaces the message a button was on (an ephemeral
// message can only be changed this way), at most once, after the
// acknowledgement.
func (a *App) replaceOriginal(ctx context.Context, url string, m bot.Message) {
	if url == "" {
		return
	}
	body, _ := json.Marshal(map[string]any{"replace_original": true, "text": m.Text, "blocks": m.Blocks})
	a.background(ctx, func(ctx context.Context) { a.postResponse(ctx, url, body) })
}

// postResponse posts body to a response_url: at most once, never through
// the outbox, as Slack allows only a few uses of one URL.
func (a *App) postResponse(ctx context.Context, url string, body []byte) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	client := a.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			err = errors.New(resp.Status)
		}
	}
	if err != nil {
		a.Log.Warn("answer through response_url failed", "err", err)
	}
}
