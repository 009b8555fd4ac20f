package handlers

import (
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/prompts"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// newCase is a contact about to become a case, from any source.
type newCase struct {
	Kind        sfp.Kind
	Seller      string
	Marketplace sfp.Marketplace
	OrderID     string
	ASIN, SKU   string
	Source      sfp.Source
	SourceID    string
	Customer    sfp.Customer
	Subject     string
	Body        string
	Asker       *sfp.Asker
	CallbackURL string
	SourceName  string
	ReceivedAt  time.Time
	Refund      *sfp.Refund
	Return      *sfp.Return
	By          string // who brought it: a Slack user id, or "intake"
	// Mask, when set, is the masker to show the case's text with, prepared
	// before the transaction: masking is the costliest part of a new case,
	// and a write transaction holds every other writer back.
	Mask func(string) string
	// Then, when set, adds the caller's own messages to the new case before
	// it is written, so that a case is encoded once per transaction.
	Then func(tx store.Tx, c *sfp.Case) error
}

// sellerPrefs are a seller's language and zone with the deployment's
// defaults filled in.
type sellerPrefs struct {
	seller *sfp.Seller // nil for an unknown seller
	lang   string
	loc    *time.Location
}

// calendar is the business calendar of the seller's cases on marketplace
// m: the marketplace's national holidays, and the seller's region's when
// it set one.
func (p sellerPrefs) calendar(m sfp.Marketplace) *sfp.BusinessCalendar {
	if p.seller == nil {
		return sfp.CalendarFor(m)
	}
	return sfp.RegionalCalendar(m, p.seller.Region)
}

func (a *App) prefs(tx store.Tx, seller string) sellerPrefs {
	p := sellerPrefs{lang: a.Settings.Lang, loc: a.Settings.Location}
	s, err := tx.Seller(seller)
	if err != nil {
		return p
	}
	p.seller = s
	if s.Lang != "" {
		p.lang = s.Lang
	}
	if s.TimeZone != "" {
		if loc, err := loadLocation(s.TimeZone); err == nil {
			p.loc = loc
		}
	}
	return p
}

// createCase writes a case, its card and the messages it owes in tx. An
// unknown seller's case goes to the triage channel: never dropped.
func (a *App) createCase(tx store.Tx, in newCase) (*sfp.Case, error) {
	n, err := tx.NextCaseNumber()
	if err != nil {
		return nil, err
	}
	nc := a.buildCase(n, a.prefs(tx, in.Seller), in)
	return nc.c, a.writeCase(tx, nc, nil)
}

// builtCase is a new case before it is written, with what writing it needs.
type builtCase struct {
	c    *sfp.Case
	p    sellerPrefs
	in   newCase
	now  time.Time
	mask func(string) string
}

// buildCase makes case number n from in. It reads nothing and writes
// nothing, so that it can run before the transaction.
func (a *App) buildCase(n uint64, p sellerPrefs, in newCase) builtCase {
	now := a.Clock.Now()
	if in.Marketplace == "" {
		in.Marketplace = sfp.DefaultMarketplace
	}
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = now
	}
	c := &sfp.Case{
		ID: sfp.CaseID(n), Number: n, Kind: in.Kind, State: sfp.StateOpen,
		Seller: in.Seller, Marketplace: in.Marketplace, OrderID: in.OrderID,
		ASIN: in.ASIN, SKU: in.SKU, Source: in.Source, SourceID: in.SourceID,
		Customer: in.Customer, Subject: in.Subject, Body: in.Body,
		Asker: in.Asker, CallbackURL: in.CallbackURL, SourceName: in.SourceName,
		ReceivedAt: in.ReceivedAt.In(p.loc), CreatedAt: now.In(p.loc),
		Refund: in.Refund, Return: in.Return,
	}
	if p.seller != nil {
		c.Channel, _ = p.seller.RouteFor(in.Marketplace)
	}
	if c.Channel == "" {
		c.Channel, c.Triage = a.Settings.TriageChannel, true
	}
	if due, ok := a.Settings.SLA.DueOn(c.Kind, c.ReceivedAt, p.calendar(c.Marketplace), p.loc); ok {
		c.DueAt = &due
		if !due.After(now) {
			c.Breached = true
		}
	}
	c.AddEvent(now, sfp.EventCreated, in.By, string(in.Source))
	mask := in.Mask
	if mask == nil {
		mask = a.masker(c)
	}
	return builtCase{c: c, p: p, in: in, now: now, mask: mask}
}

// caseMessages are a new case's card and, when the question is longer
// than the card shows, the rest of it for the card's thread.
type caseMessages struct {
	card outMsg
	full []outMsg
}

func (a *App) renderCase(nc builtCase) *caseMessages {
	c, lang := nc.c, nc.p.lang
	if c.Channel == "" {
		return &caseMessages{}
	}
	out := &caseMessages{card: render(bot.CaseCard(c, a.cardViewWith(c, lang, nc.mask)))}
	// A question longer than the card shows follows in full in the
	// thread, so nothing the buyer wrote is out of the seller's reach.
	if utf8.RuneCountInString(c.Body) > bot.QuestionMax-10 {
		for _, part := range quoteParts(nc.mask(c.Body), bot.MaxSectionText-100) {
			out.full = append(out.full, render(bot.Message{Text: bot.T(lang, "card.full_text", bot.EscapeCut(part, bot.MaxSectionText-100))}))
		}
	}
	return out
}

// writeCase writes a built case in tx with its messages, rendered before
// the transaction when msgs is not nil; a refund notice's are rendered
// here, as its card shows the order's claim. As a batched write may run
// again, writing changes the case only by assignment.
func (a *App) writeCase(tx store.Tx, nc builtCase, msgs *caseMessages) error {
	c := nc.c
	if err := a.openRefund(tx, c, nc.p.loc, nc.now); err != nil {
		return err
	}
	if err := a.openAToZ(tx, c, nc.now); err != nil {
		return err
	}
	if msgs == nil || c.Refund != nil {
		msgs = a.renderCase(nc)
	}
	if c.Channel != "" {
		id, err := enqueueOut(tx, c, c.Channel, msgs.card, 0, nc.now)
		if err != nil {
			return err
		}
		c.Card = sfp.MessageRef{Channel: c.Channel, OutboxID: id}
		for _, m := range msgs.full {
			if _, err := enqueueOut(tx, c, c.Channel, m, id, nc.now); err != nil {
				return err
			}
		}
	}
	if nc.in.Then != nil {
		if err := nc.in.Then(tx, c); err != nil {
			return err
		}
	}
	if err := tx.PutCase(c); err != nil {
		return err
	}
	return a.scheduleWith(tx, c, nc.p)
}

func (a *App) cardView(c *sfp.Case, lang string) bot.CardView {
	return a.cardViewWith(c, lang, a.masker(c))
}

func (a *App) cardViewWith(c *sfp.Case, lang string, mask func(string) string) bot.CardView {
	v := bot.CardView{Lang: lang, Now: a.Clock.Now(), Mask: mask}
	if c.CallbackURL != "" {
		v.ReplyHost = c.ReplyTarget()
	}
	return v
}

// refreshCard queues an update of the case's card to its current state.
// The outbox merges queued updates of one card: only the latest is sent.
func (a *App) refreshCard(tx store.Tx, c *sfp.Case) error {
	if c.Card.OutboxID == 0 && c.Card.TS == "" {
		return nil
	}
	p := a.prefs(tx, c.Seller)
	card := bot.CaseCard(c, a.cardView(c, p.lang))
	_, err := tx.Enqueue(&store.OutboxMessage{
		CaseID: c.ID, Channel: c.Card.Channel, Op: store.OpUpdate,
		Target: c.Card.OutboxID, TargetTS: c.Card.TS,
		Text: card.FallbackText(), Blocks: card.BlocksJSON(), CreatedAt: a.Clock.Now(),
	})
	return err
}

// outMsg is a message as the outbox keeps it: text cut to Slack's limit,
// blocks encoded. Rendering it before a transaction keeps the encoding out
// of the time every other writer waits.
type outMsg struct {
	text   string
	blocks json.RawMessage
}

func render(m bot.Message) outMsg {
	return outMsg{text: m.FallbackText(), blocks: m.BlocksJSON()}
}

// enqueue queues a message of case c in channel, as a reply in the thread
// of the outbox message threadOf when it is not 0.
func enqueue(tx store.Tx, c *sfp.Case, channel string, m bot.Message, threadOf uint64, now time.Time) (uint64, error) {
	return enqueueOut(tx, c, channel, render(m), threadOf, now)
}

func enqueueOut(tx store.Tx, c *sfp.Case, channel string, m outMsg, threadOf uint64, now time.Time) (uint64, error) {
	caseID := ""
	if c != nil {
		caseID = c.ID
	}
	return tx.Enqueue(&store.OutboxMessage{
		CaseID: caseID, Channel: channel, ThreadOf: threadOf,
		Text: m.text, Blocks: m.blocks, CreatedAt: now,
	})
}

// enqueueReply queues a message in the thread of ref: by ts when Slack has
// given it one, else by the outbox id of the message that will become it.
func enqueueReply(tx store.Tx, c *sfp.Case, ref sfp.MessageRef, m bot.Message, now time.Time) error {
	_, err := enqueueInThread(tx, c, ref, render(m), now)
	return err
}

// loadCase reads a case for update, turning a missing one into ENOTFOUND.
func loadCase(tx store.Tx, id string) (*sfp.Case, error) {
	c, err := tx.Case(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, sfp.Errorf(sfp.ENOTFOUND, "no case %s", id)
	}
	return c, err
}

// masker hides a buyer's contact data in what Slack shows of a case: the
// whole seller team reads its channel, and none of them needs the buyer's
// e-mail, phone or address to answer (first names and order ids stay).
//
// A card shows the same text twice (quote and fallback): the masker
// remembers its last answer. It is for one goroutine.
func (a *App) masker(c *sfp.Case) func(string) string {
	return newMasker(prompts.KnownPII{Name: c.Customer.Name})
}

func newMasker(known prompts.KnownPII) func(string) string {
	var lastIn, lastOut string
	return func(s string) string {
		if s == "" {
			return ""
		}
		if s != lastIn {
			lastIn, lastOut = s, prompts.Mask(s, known)
		}
		return lastOut
	}
}
